// push, fetch and status --cloud: moving cache objects between the cache and a remote.
#include <sys/stat.h>

#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/progress.h"
#include "core/thread_pool.h"
#include "remote/remote.h"
#include "repo/remotes.h"
#include "repo/repo_lock.h"
#include "repo/workspace.h"

namespace plinth::repo {
namespace {

// At most this many objects are looked up one by one (HEAD); more are found by listing the
// remote's two-character prefix folders they live in.
constexpr size_t kLookupLimit = 32;

// Where DVC keeps an object on a remote (spec dvc-format.md §1.1, §4.2).
std::string remote_key(const std::string& oid, bool legacy) {
  return (legacy ? "" : "files/md5/") + oid.substr(0, 2) + "/" + oid.substr(2);
}

// Runs fn(i) for i in [0, n) on up to `jobs` threads, stopping at the first error.
void run_parallel(size_t n, size_t jobs, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  core::ThreadPool pool(std::max<size_t>(1, std::min(jobs, n)));
  pool.parallel_for(n, fn);
}

// The subset of `keys` the remote has.
std::unordered_set<std::string> keys_on_remote(remote::Remote& remote,
                                               const std::vector<std::string>& keys, size_t jobs) {
  std::unordered_set<std::string> found;
  std::mutex mutex;
  if (keys.size() <= kLookupLimit) {
    run_parallel(keys.size(), jobs, [&](size_t i) {
      if (!remote.exists(keys[i])) return;
      std::lock_guard lock(mutex);
      found.insert(keys[i]);
    });
    return found;
  }
  std::set<std::string> prefix_set;
  for (const auto& key : keys) prefix_set.insert(key.substr(0, key.rfind('/') + 1));
  std::vector<std::string> prefixes(prefix_set.begin(), prefix_set.end());
  std::unordered_set<std::string> wanted(keys.begin(), keys.end());
  run_parallel(prefixes.size(), jobs, [&](size_t i) {
    std::vector<std::string> listed = remote.list(prefixes[i]);
    std::lock_guard lock(mutex);
    for (auto& key : listed)
      if (wanted.count(key)) found.insert(std::move(key));
  });
  return found;
}

size_t jobs_for(const TransferOptions& options, const remote::RemoteSpec& spec,
                const remote::Remote& remote) {
  if (options.jobs > 0) return options.jobs;
  if (auto it = spec.options.find("jobs"); it != spec.options.end()) {
    try {
      size_t jobs = std::stoul(it->second);
      if (jobs > 0) return jobs;
    } catch (const std::exception&) {
    }
    throw Error(ErrorCode::kInvalidInput,
                "remote '" + spec.name + "': jobs = '" + it->second + "' is not a positive number");
  }
  return remote.default_jobs();
}

std::string list_paths(const std::vector<ObjectRef>& objects) {
  std::string text;
  size_t shown = 0;
  for (const auto& o : objects) {
    if (shown++ == 10) {
      text += "\n\t... and " + std::to_string(objects.size() - 10) + " more";
      break;
    }
    text += "\n\t" + o.path + " (" + o.oid + ")";
  }
  return text;
}

}  // namespace

std::vector<ObjectRef> Workspace::used_objects(const std::vector<TrackedPointer>& pointers,
                                               std::vector<ObjectRef>* unreadable_dirs) {
  std::vector<ObjectRef> objects;
  std::unordered_set<std::string> seen;
  auto add = [&](ObjectRef ref) {
    if (seen.insert(ref.oid).second) objects.push_back(std::move(ref));
  };
  for (const auto& p : pointers)
    for (size_t i = 0; i < p.file.outs.size(); ++i) {
      const Output& out = p.file.outs[i];
      if (out.md5.empty() || !out.cache) continue;
      std::string rel = p.out_rel(i);
      add({out.md5, out.legacy, rel});
      if (!out.is_dir()) continue;
      if (cache_->check(out.md5, out.legacy) != ObjectState::kOk) {
        if (unreadable_dirs) unreadable_dirs->push_back({out.md5, out.legacy, rel});
        continue;
      }
      for (const auto& entry : load_manifest(out.md5, out.legacy))
        add({entry.md5, out.legacy, rel + "/" + entry.relpath});
    }
  return objects;
}

TransferResult Workspace::push(const std::vector<std::string>& targets,
                               const TransferOptions& options) {
  RepoLock lock(dvc_dir());
  remote::RemoteSpec spec = RemoteConfig(dvc_dir()).spec(options.remote);
  auto remote = remote::open_remote(spec);
  size_t jobs = jobs_for(options, spec, *remote);
  std::vector<ObjectRef> missing;
  std::vector<ObjectRef> objects = used_objects(select_pointers(targets), &missing);

  std::vector<ObjectRef> local;
  for (auto& o : objects) {
    bool dir_reported = std::any_of(missing.begin(), missing.end(),
                                    [&](const ObjectRef& m) { return m.oid == o.oid; });
    if (dir_reported) continue;
    (cache_->check(o.oid, o.legacy) == ObjectState::kOk ? local : missing).push_back(o);
  }
  std::vector<std::string> keys;
  for (const auto& o : local) keys.push_back(remote_key(o.oid, o.legacy));
  auto present = keys_on_remote(*remote, keys, jobs);

  std::vector<size_t> todo;
  std::vector<uint64_t> sizes(local.size());
  uint64_t total = 0;
  for (size_t i = 0; i < local.size(); ++i) {
    if (present.count(keys[i])) continue;
    struct stat st;
    if (::stat(cache_->object_path(local[i].oid, local[i].legacy).c_str(), &st) == 0)
      sizes[i] = static_cast<uint64_t>(st.st_size);
    total += sizes[i];
    todo.push_back(i);
  }
  TransferResult result{remote->describe(), todo.size(), total, local.size() - todo.size()};
  {
    core::Progress progress("Pushing", total, core::ProgressUnit::kBytes);
    progress.set_items(todo.size(), "objects");
    run_parallel(todo.size(), jobs, [&](size_t t) {
      const ObjectRef& o = local[todo[t]];
      // Legacy objects are named by md5-dos2unix, not by the md5 of their bytes.
      remote->put(keys[todo[t]], cache_->object_path(o.oid, o.legacy), sizes[todo[t]],
                  o.legacy ? "" : o.oid.substr(0, 32), [&](uint64_t n) { progress.add(n); });
      progress.add_item();
    });
  }
  remote->flush();
  if (!missing.empty())
    throw Error(ErrorCode::kNotFound,
                "pushed " + std::to_string(todo.size()) + " objects to " + remote->describe() +
                    ", but " + std::to_string(missing.size()) +
                    " are not in the local cache and were not pushed:" + list_paths(missing) +
                    "\nRun 'plinth fetch' from a remote that has them, or 'plinth commit' if the "
                    "files are in the workspace.");
  return result;
}

TransferResult Workspace::fetch(const std::vector<std::string>& targets,
                                const TransferOptions& options) {
  RepoLock lock(dvc_dir());
  remote::RemoteSpec spec = RemoteConfig(dvc_dir()).spec(options.remote);
  auto remote = remote::open_remote(spec);
  size_t jobs = jobs_for(options, spec, *remote);
  std::vector<TrackedPointer> chosen = select_pointers(targets);
  TransferResult result{remote->describe(), 0, 0, 0};
  std::vector<ObjectRef> not_on_remote;

  auto download = [&](const std::vector<ObjectRef>& wanted, const std::string& label) {
    std::vector<ObjectRef> todo;
    for (const auto& o : wanted) {
      if (cache_->check(o.oid, o.legacy) == ObjectState::kOk)
        ++result.up_to_date;
      else
        todo.push_back(o);
    }
    std::vector<std::string> keys;
    for (const auto& o : todo) keys.push_back(remote_key(o.oid, o.legacy));
    auto present = keys_on_remote(*remote, keys, jobs);
    std::vector<size_t> available;
    for (size_t i = 0; i < todo.size(); ++i)
      (present.count(keys[i]) ? available.push_back(i) : not_on_remote.push_back(todo[i]));
    core::Progress progress(label, 0, core::ProgressUnit::kBytes);
    progress.set_items(available.size(), "objects");
    std::mutex bytes_mutex;
    run_parallel(available.size(), jobs, [&](size_t t) {
      const ObjectRef& o = todo[available[t]];
      IncomingObject incoming(*cache_, o.oid, o.legacy);
      uint64_t bytes = 0;
      http::Sink sink{[&](std::string_view data) {
                        incoming.write(data);
                        bytes += data.size();
                        progress.add(data.size());
                      },
                      [&] {
                        incoming.reset();
                        bytes = 0;
                      }};
      remote->get(keys[available[t]], sink);
      incoming.commit(remote->describe());
      progress.add_item();
      std::lock_guard guard(bytes_mutex);
      result.bytes += bytes;
      ++result.transferred;
    });
  };

  // Directory manifests first: they say which file objects the directories need.
  std::vector<ObjectRef> dirs;
  for (const auto& p : chosen)
    for (size_t i = 0; i < p.file.outs.size(); ++i)
      if (p.file.outs[i].is_dir() && p.file.outs[i].cache)
        dirs.push_back({p.file.outs[i].md5, p.file.outs[i].legacy, p.out_rel(i)});
  download(dirs, "Fetching");
  std::vector<ObjectRef> files;
  for (auto& o : used_objects(chosen, nullptr))
    if (!o.oid.ends_with(".dir")) files.push_back(std::move(o));
  download(files, "Fetching");
  cache_->sync();
  if (!not_on_remote.empty())
    throw Error(ErrorCode::kNotFound,
                "fetched " + std::to_string(result.transferred) + " objects, but " +
                    std::to_string(not_on_remote.size()) + " are not on " + remote->describe() +
                    ":" + list_paths(not_on_remote) +
                    "\nPush them from a machine that has them ('plinth push').");
  return result;
}

CloudStatus Workspace::cloud_status(const std::vector<std::string>& targets,
                                    const TransferOptions& options) {
  remote::RemoteSpec spec = RemoteConfig(dvc_dir()).spec(options.remote);
  auto remote = remote::open_remote(spec);
  size_t jobs = jobs_for(options, spec, *remote);
  // A directory whose manifest is not here is reported by its manifest alone: which files
  // it needs is unknown until the manifest is fetched.
  std::vector<ObjectRef> objects = used_objects(select_pointers(targets), nullptr);
  std::vector<std::string> keys;
  for (const auto& o : objects) keys.push_back(remote_key(o.oid, o.legacy));
  auto present = keys_on_remote(*remote, keys, jobs);
  CloudStatus status{spec.name, {}};
  for (size_t i = 0; i < objects.size(); ++i) {
    bool local = cache_->check(objects[i].oid, objects[i].legacy) == ObjectState::kOk;
    bool there = present.count(keys[i]) > 0;
    if (local && !there) status.entries.push_back({objects[i].path, "new"});
    if (!local && there) status.entries.push_back({objects[i].path, "deleted"});
    if (!local && !there) status.entries.push_back({objects[i].path, "missing"});
  }
  return status;
}

}  // namespace plinth::repo
