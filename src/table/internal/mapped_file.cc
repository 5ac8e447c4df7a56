#include "table/internal/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file_io.h"

namespace plinth::table {

MappedFile::MappedFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw system_error("open", path.string(), errno);
  struct stat st;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    void* p = ::mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
      map_ = p;
      view_ = {static_cast<const char*>(p), static_cast<size_t>(st.st_size)};
    }
  }
  if (!map_) {
    try {
      char buf[1 << 16];
      while (size_t n = core::read_up_to(fd, buf, sizeof buf, path)) owned_.append(buf, n);
    } catch (...) {
      ::close(fd);
      throw;
    }
    view_ = owned_;
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (map_) ::munmap(map_, view_.size());
}

void MappedFile::release(size_t offset, size_t n) {
  if (!map_ || offset >= view_.size()) return;
  size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  size_t begin = (offset + page - 1) / page * page;
  size_t end = std::min(offset + n, view_.size()) / page * page;
  if (end > begin) ::madvise(static_cast<char*>(map_) + begin, end - begin, MADV_DONTNEED);
}

}  // namespace plinth::table
