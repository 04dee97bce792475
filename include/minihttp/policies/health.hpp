#pragma once
/// @file
/// `http::health`: liveness and readiness endpoints for load balancers and orchestrators. The
/// liveness path answers 200 while the process serves at all. The readiness path answers 200
/// until the application calls `set_ready(false)` (at the start of a drain), then 503, so a
/// health checker takes the instance out of rotation before it stops accepting connections.

#include <minihttp/handler.hpp>
#include <minihttp/method.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/version.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

/// Settings of `health`. An empty path turns that endpoint off.
struct health_options {
    std::string liveness = "/livez";   ///< 200 "live" while the server answers at all
    std::string readiness = "/readyz"; ///< 200 "ready", or 503 "draining" after set_ready(false)
};

/// A layer answering GET and HEAD on the two paths of `health_options`, with
/// `Cache-Control: no-store` (a cached answer would hide a drain). Put it first in a `chain`,
/// before Host and method checks that a health checker's probe might not pass.
///
/// Copies share one readiness flag: keep a copy to call `set_ready` after the layer was moved
/// into a chain. Thread-safety: `set_ready` and `operator()` may run concurrently from any
/// threads (an atomic flag). Never throws but for std::bad_alloc.
class health {
  public:
    explicit health(health_options o = {})
        : opts_(std::make_shared<const health_options>(std::move(o))),
          ready_(std::make_shared<std::atomic<bool>>(true)) {}

    /// Readiness from now on: false when a drain starts (the readiness path answers 503).
    void set_ready(bool ready) const noexcept { ready_->store(ready, std::memory_order_relaxed); }
    [[nodiscard]] bool ready() const noexcept { return ready_->load(std::memory_order_relaxed); }

    std::optional<response> operator()(const request& r) const {
        const bool get = r.method() == method::get || r.method() == method::head;
        if (!get) return std::nullopt;
        if (!opts_->liveness.empty() && r.path() == opts_->liveness) return answer(true, "live\n");
        if (!opts_->readiness.empty() && r.path() == opts_->readiness)
            return ready() ? answer(true, "ready\n") : answer(false, "draining\n");
        return std::nullopt;
    }
    [[nodiscard]] method_set allowed_methods(const request& r) const {
        const bool ours = (!opts_->liveness.empty() && r.path() == opts_->liveness) ||
                          (!opts_->readiness.empty() && r.path() == opts_->readiness);
        return ours || r.form() == target_form::asterisk ? method_set{method::get, method::head}
                                                         : method_set{};
    }

  private:
    static response answer(bool ok, std::string_view body) {
        response res = ok ? response::text(std::string(body))
                          : response::text(std::string(body), status::service_unavailable);
        res.add_header("Cache-Control", "no-store");
        return res;
    }

    std::shared_ptr<const health_options> opts_;
    std::shared_ptr<std::atomic<bool>> ready_;
};

MINIHTTP_NAMESPACE_END
