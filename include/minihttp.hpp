#pragma once
/// @file
/// minihttp: a header-only C++20 HTTP/1.1 server library for Linux. Include this header only.

#include <minihttp/blocking.hpp>
#include <minihttp/chunked.hpp>
#include <minihttp/conditional.hpp>
#include <minihttp/cookies.hpp>
#include <minihttp/error.hpp>
#include <minihttp/handler.hpp>
#include <minihttp/json.hpp>
#include <minihttp/log.hpp>
#include <minihttp/method.hpp>
#include <minihttp/options.hpp>
#include <minihttp/parser.hpp>
#include <minihttp/policies/health.hpp>
#include <minihttp/policies/json_upload.hpp>
#include <minihttp/policies/logger.hpp>
#include <minihttp/policies/security.hpp>
#include <minihttp/policies/static_files.hpp>
#include <minihttp/request.hpp>
#include <minihttp/response.hpp>
#include <minihttp/serializer.hpp>
#include <minihttp/server.hpp>
#include <minihttp/status.hpp>
#include <minihttp/thread_name.hpp>
#include <minihttp/version.hpp>
