#pragma once
/// @file
/// Version numbers and the namespace macros every minihttp header opens with.
///
/// The public namespace is `http`, with an inline versioned namespace inside it so that two
/// vendored copies of different versions can link into one program. An application that already
/// uses the name `http` (e.g. `namespace http = boost::beast::http;`) defines
/// `MINIHTTP_NAMESPACE` to another name before including minihttp.

#define MINIHTTP_VERSION_MAJOR 0
#define MINIHTTP_VERSION_MINOR 1
#define MINIHTTP_VERSION_PATCH 0
#define MINIHTTP_VERSION_STRING "0.1.0"

#ifndef MINIHTTP_NAMESPACE
#define MINIHTTP_NAMESPACE http
#endif

#ifndef MINIHTTP_NAMESPACE_BEGIN
#define MINIHTTP_NAMESPACE_BEGIN                                                                   \
    namespace MINIHTTP_NAMESPACE {                                                                 \
    inline namespace v0_1 {
#define MINIHTTP_NAMESPACE_END                                                                     \
    }                                                                                              \
    }
#endif
