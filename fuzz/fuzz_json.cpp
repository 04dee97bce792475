// libFuzzer target: http::validate_json (RFC 8259, strict UTF-8 per RFC 3629, no lone
// surrogate escapes per RFC 7493 §2.1).
//
// The input is a request body. Checked for every input, with a nesting limit drawn from a hash
// of the input (0..8, 64, 128 or 200) given to both validators:
//  - Verdict: validate_json and the reference validator of tests/json_reference.hpp (recursive
//    descent straight from the RFC 8259 ABNF, UTF-8 checked by decoding code points) agree on
//    valid / invalid.
//  - Error reports: the message is one of the documented ones; "unexpected end of input" and
//    "empty input" are at the end of the text; any other error's offset is inside the text, and
//    the text cut at that offset is a viable prefix (valid, or cut short at its end): the offset
//    is the first byte that cannot be there. For errors other than "trailing comma" and
//    "unpaired surrogate" (documented to point at the comma / the backslash), the text cut just
//    after the offset is already invalid there.
//  - Prefixes: a few prefixes of a valid text are valid or end early exactly at their end.
//  - The validator is also run on an exact-size heap copy, so an over-read is an ASan report.

#include <minihttp/json.hpp>

#include "common.hpp"
#include "json_reference.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view eof = "unexpected end of input";

/// A prefix of a longer text that could still be valid: valid now, or cut short at its end.
bool viable(std::string_view prefix, const http::json_limits& lim) {
    const auto e = http::validate_json(prefix, lim);
    return !e || ((e.message == eof || e.message == "empty input") && e.offset == prefix.size());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::exact_copy copy(std::string_view(reinterpret_cast<const char*>(data), size));
    const std::string_view text = copy.view();
    fuzz::rng rng(fuzz::hash(text));
    static constexpr std::size_t depths[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 64, 128, 200};
    const std::size_t depth = depths[rng.below(std::size(depths))];
    const http::json_limits lim{.max_depth = depth};

    const http::json_error e = http::validate_json(text, lim);
    const bool ref = test::json_ref::valid(text, static_cast<int>(depth));
    FUZZ_CHECK(!e == ref, "validate_json: %s at %zu, reference: %s (max_depth %zu) for %s",
               e ? std::string(e.message).c_str() : "valid", e.offset, ref ? "valid" : "invalid",
               depth, fuzz::printable(text).c_str());

    if (!e) {
        FUZZ_CHECK(e.offset == 0, "valid with offset %zu", e.offset);
        for (int k = 0; k < 4 && !text.empty(); ++k) {
            const std::size_t len = rng.below(text.size());
            FUZZ_CHECK(viable(text.substr(0, len), lim), "prefix %zu of a valid text", len);
        }
        return 0;
    }
    FUZZ_CHECK(test::json_ref::is_known_message(e.message), "unknown message \"%s\"",
               std::string(e.message).c_str());
    if (e.message == eof || e.message == "empty input") {
        FUZZ_CHECK(e.offset == text.size(), "%s at %zu of %zu", std::string(e.message).c_str(),
                   e.offset, text.size());
        return 0;
    }
    FUZZ_CHECK(e.offset < text.size(), "%s at %zu of %zu", std::string(e.message).c_str(), e.offset,
               text.size());
    FUZZ_CHECK(viable(text.substr(0, e.offset), lim), "%s at %zu: the text before is not viable",
               std::string(e.message).c_str(), e.offset);
    if (e.message != "trailing comma" && e.message != "unpaired surrogate") {
        const auto cut = http::validate_json(text.substr(0, e.offset + 1), lim);
        FUZZ_CHECK(cut && cut.message != eof && cut.offset == e.offset,
                   "%s at %zu, but the text cut after it gives %s at %zu",
                   std::string(e.message).c_str(), e.offset,
                   cut ? std::string(cut.message).c_str() : "valid", cut.offset);
    }
    return 0;
}
