#pragma once
/// @file
/// `detail::file_cache`: the small-file cache of one thread (see `static_files_options`).
/// It holds files with their prebuilt response fields, and knows which files do not exist.

#include <minihttp/detail/fd.hpp>
#include <minihttp/response.hpp>
#include <minihttp/version.hpp>

#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

MINIHTTP_NAMESPACE_BEGIN
namespace detail {

/// A small file held in memory: its content and prebuilt fields, and those of its 304.
/// Immutable once built; shared by the cache and the responses that send it.
struct cached_file {
    std::shared_ptr<const shared_entity> entity;       ///< fields of a 200 + the content
    std::shared_ptr<const shared_entity> not_modified; ///< fields of a 304, no content
    std::string etag;
    struct stat st {};
    std::string path; ///< beneath the root, decoded: what a request target resolved to
};

/// One cache entry: a file, or the knowledge that there is none (a missing sibling).
struct cache_slot {
    std::shared_ptr<const cached_file> file; ///< null: known not to exist
    std::uint64_t checked_ms = 0;            ///< when the entry was last confirmed on disk
};

/// True if two stats describe the same unchanged file (device, inode, size, mtime in ns).
[[nodiscard]] inline bool same_file(const struct stat& a, const struct stat& b) noexcept {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
           a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

/// Response fields as (name, value) pairs, in order.
using field_list = std::vector<std::pair<std::string_view, std::string>>;

/// Reads the regular file `fd` (`st`: its fstat) whole into a `cached_file` with prebuilt
/// fields: `fields` for a 200, `not_modified_fields` for a 304. Null if the file could not be
/// read whole (it shrank, or a read failed): serve it open instead. Throws
/// std::invalid_argument for a field that may not be sent, as `response::add_header` does.
inline std::shared_ptr<const cached_file> read_cached_file(int fd, const struct stat& st,
                                                           std::string_view path, std::string etag,
                                                           const field_list& fields,
                                                           const field_list& not_modified_fields) {
    auto entity = std::make_shared<shared_entity>();
    entity->body.resize(static_cast<std::size_t>(st.st_size));
    for (std::size_t got = 0; got < entity->body.size();) {
        const ssize_t n = retry_eintr([&] {
            return ::pread(fd, entity->body.data() + got, entity->body.size() - got,
                           static_cast<off_t>(got));
        });
        if (n <= 0) return nullptr;
        got += static_cast<std::size_t>(n);
    }
    for (const auto& [name, value] : fields) entity->add_field(name, value);
    auto not_modified = std::make_shared<shared_entity>();
    for (const auto& [name, value] : not_modified_fields) not_modified->add_field(name, value);
    auto file = std::make_shared<cached_file>();
    file->entity = std::move(entity);
    file->not_modified = std::move(not_modified);
    file->etag = std::move(etag);
    file->st = st;
    file->path = path;
    return file;
}

/// Entries keyed by a kind (a content coding, or another namespace such as request targets)
/// and a path. Bounded by entries and by content bytes: when a new entry would cross a bound,
/// the cache starts over (simple, and a working set that fits never hits it).
/// Thread-safety: none; each thread owns its own. A lookup allocates nothing once the key
/// buffer has grown to the longest key.
class file_cache {
  public:
    file_cache(std::size_t max_entries, std::size_t max_bytes) noexcept
        : max_entries_(max_entries), max_bytes_(max_bytes) {}

    /// The entry of (kind, path), or nullptr; valid until the next `put`.
    [[nodiscard]] cache_slot* find(std::string_view kind, std::string_view path) {
        const auto it = map_.find(make_key(kind, path));
        return it == map_.end() ? nullptr : &it->second;
    }

    /// Stores `file` (null: "does not exist") under (kind, path), confirmed at `now`. An
    /// `alias` is another key for a file already stored: its bytes are not counted again. A
    /// given key is always put with the same `alias`.
    void put(std::string_view kind, std::string_view path, std::shared_ptr<const cached_file> file,
             std::uint64_t now, bool alias = false) {
        const std::size_t size = file && !alias ? file->entity->body.size() : 0;
        auto it = map_.find(make_key(kind, path));
        if (it == map_.end()) {
            if (map_.size() >= max_entries_ || bytes_ + size > max_bytes_) {
                map_.clear();
                bytes_ = 0;
            }
            it = map_.emplace(key_, cache_slot{}).first;
        } else if (it->second.file && !alias) {
            bytes_ -= it->second.file->entity->body.size();
        }
        it->second.file = std::move(file);
        it->second.checked_ms = now;
        bytes_ += size;
    }

    [[nodiscard]] std::size_t size() const noexcept { return map_.size(); }
    [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; } ///< content counted

  private:
    struct hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            return std::hash<std::string_view>{}(s);
        }
    };
    // Kinds never hold a newline, so the first one ends the kind: keys of different kinds
    // never collide, whatever bytes a path holds.
    std::string_view make_key(std::string_view kind, std::string_view path) {
        key_.assign(kind).push_back('\n');
        key_.append(path);
        return key_;
    }

    std::unordered_map<std::string, cache_slot, hash, std::equal_to<>> map_;
    std::string key_; // the lookup key, built in place: reused, so no allocation per lookup
    std::size_t bytes_ = 0;
    std::size_t max_entries_;
    std::size_t max_bytes_;
};

} // namespace detail
MINIHTTP_NAMESPACE_END
