// detail::buffer_pool: buffers are lent small, kept when grown up to the pooled size, freed
// beyond it.
#include <minihttp/detail/connection_buffers.hpp>

#include <doctest/doctest.h>

#include <memory>

using http::detail::buffer_pool;
using http::detail::connection_buffers;

TEST_CASE("buffer_pool: a new buffer is small; one grown up to the pooled size comes back") {
    buffer_pool pool;
    connection_buffers& b = pool.acquire();
    CHECK(b.cap == connection_buffers::initial_size);
    CHECK(b.begin == 0);
    CHECK(b.end == 0);
    b.in = std::make_unique_for_overwrite<char[]>(connection_buffers::pooled_size);
    b.cap = connection_buffers::pooled_size;
    b.end = 10;
    pool.release(&b);
    connection_buffers& again = pool.acquire();
    CHECK(&again == &b);
    CHECK(again.cap == connection_buffers::pooled_size); // kept, not shrunk
    CHECK(again.end == 0);                               // but reset
    pool.release(&again);
}

TEST_CASE("buffer_pool: an input buffer grown past the pooled size is freed on release") {
    buffer_pool pool;
    connection_buffers& b = pool.acquire();
    b.in = std::make_unique_for_overwrite<char[]>(4 * connection_buffers::pooled_size);
    b.cap = 4 * connection_buffers::pooled_size;
    pool.release(&b);
    connection_buffers& again = pool.acquire();
    CHECK(again.cap == connection_buffers::initial_size);
    pool.release(&again);
}
