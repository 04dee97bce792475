#pragma once
/// @file
/// The concepts a handler and a layer satisfy, `http::chain` composing layers, and
/// `http::route`, the simplest layer.

#include <minihttp/method.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/version.hpp>

#include <concepts>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

MINIHTTP_NAMESPACE_BEGIN

/// A handler answers every request: callable on a const object (workers call it concurrently)
/// as `http::response(const http::request&)`.
template <class H>
concept handler = requires(const H& h, const request& r) {
    { h(r) } -> std::convertible_to<response>;
};

/// A layer may answer a request or pass it on: `std::optional<http::response>(const
/// http::request&)`, callable on a const object.
template <class L>
concept layer = requires(const L& l, const request& r) {
    { l(r) } -> std::same_as<std::optional<response>>;
};

/// A layer that can also say which methods it serves for a request's target. `chain` uses it
/// to answer 405 with `Allow` and OPTIONS (RFC 9110 §15.5.6, §9.3.7). For the asterisk-form
/// target ("OPTIONS *") a layer reports every method it serves anywhere.
template <class L>
concept layer_with_methods = layer<L> && requires(const L& l, const request& r) {
    { l.allowed_methods(r) } -> std::same_as<method_set>;
};

/// Composes layers at compile time: each is asked in order and the first answer wins.
/// If none answers: OPTIONS gets 204 with `Allow` when some layer serves the target; another
/// method gets 405 with `Allow` when some layer serves the target with other methods; else 404.
/// Satisfies `handler`. Thread-safety: as safe as its layers' const members.
template <layer... L>
class chain {
  public:
    explicit chain(L... layers) : layers_(std::move(layers)...) {}

    response operator()(const request& r) const { return ask<0>(r); }

    /// The union of the methods the layers serve for `r`'s target.
    [[nodiscard]] method_set allowed_methods(const request& r) const {
        method_set all;
        std::apply([&](const auto&... l) { ((all |= methods_of(l, r)), ...); }, layers_);
        return all;
    }

  private:
    // Layer I answers, or the next one is asked: each answer is moved out of its optional
    // once, straight into the return value.
    template <std::size_t I>
    response ask(const request& r) const {
        if constexpr (I < sizeof...(L)) {
            if (std::optional<response> answer = std::get<I>(layers_)(r)) return std::move(*answer);
            return ask<I + 1>(r);
        } else {
            return unanswered(r);
        }
    }

    // No layer answered: 405 with Allow if some layer serves the target with other methods,
    // 204 with Allow for OPTIONS, else 404.
    response unanswered(const request& r) const {
        const method_set allowed = allowed_methods(r);
        if (!allowed.empty()) {
            const std::string allow = (method_set(allowed).insert(method::options)).to_allow();
            if (r.method() == method::options) {
                response res(status::no_content);
                res.add_header("Allow", allow);
                return res;
            }
            response res = response::error(status::method_not_allowed);
            res.add_header("Allow", allow);
            return res;
        }
        return response::error(status::not_found);
    }

    template <class X>
    static method_set methods_of(const X& l, const request& r) {
        if constexpr (layer_with_methods<X>)
            return l.allowed_methods(r);
        else
            return {};
    }

    std::tuple<L...> layers_;
};

template <class... L>
chain(L...) -> chain<L...>;

/// A layer answering one exact path (compared with the raw, still percent-encoded path) for
/// the given methods with `f(request)`, which returns `http::response`. Serving GET implies
/// HEAD (RFC 9110 §9.3.2). Thread-safety: `f` is called concurrently through a const reference.
template <class F>
requires std::invocable<const F&, const request&>
class route {
  public:
    route(method_set methods, std::string path, F f)
        : methods_(methods), path_(std::move(path)), f_(std::move(f)) {
        if (methods_.contains(method::get)) methods_.insert(method::head);
    }

    std::optional<response> operator()(const request& r) const {
        if (r.path() != path_ || !methods_.contains(r.method())) return std::nullopt;
        return response(f_(r));
    }
    [[nodiscard]] method_set allowed_methods(const request& r) const {
        return (r.path() == path_ || r.form() == target_form::asterisk) ? methods_ : method_set{};
    }

  private:
    method_set methods_;
    std::string path_;
    F f_;
};

MINIHTTP_NAMESPACE_END
