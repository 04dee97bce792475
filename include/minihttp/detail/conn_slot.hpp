#pragma once
/// @file
/// What a worker keeps per connection (`conn_slot`: socket, HTTP/1.1 state, deadline, readiness
/// and the lists it is on) and what all workers of an engine share (`engine_shared`). Split
/// from detail/worker.hpp, which owns and drives them.

#include <minihttp/detail/client_table.hpp>
#include <minihttp/detail/connection.hpp>
#include <minihttp/detail/timer_wheel.hpp>
#include <minihttp/detail/transport.hpp>
#include <minihttp/version.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// State shared by all workers of one engine.
struct engine_shared {
    connection_config cfg;
    std::atomic<std::size_t> open_connections{0};
    client_table clients;
};

/// A connection as the worker holds it: its socket, its HTTP/1.1 state, its deadline, and the
/// readiness the worker has seen. The timer wheel hands back the base class.
struct conn_slot : timer_node {
    conn_slot* prev = nullptr;
    conn_slot* next = nullptr;
    tcp_transport transport;
    connection conn;
    std::uint64_t write_mark = 0;  // last write progress
    std::uint64_t linger_mark = 0; // start of the lingering close
    std::uint64_t lingered = 0;    // bytes discarded while lingering
    bool live = false;             // in the live list (false once closed)
    bool read_ready = false;
    bool write_ready = true;
    bool rdhup = false;      // the peer's FIN was signalled: read until read() returns 0
    bool counted = true;     // counts against max_connections
    bool per_client = false; // counted in engine_shared::clients
    bool yielded = false;    // in worker::yielded_: a large body, sent a quantum per turn
    bool lingering = false;  // final response sent, write side shut, draining input
    // In worker's queue of newcomers' events (worker::dispatch_events), with these events.
    bool waiting = false;
    std::uint32_t waiting_events = 0;
    conn_slot* wait_prev = nullptr;
    conn_slot* wait_next = nullptr;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
