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

// An output's `remote:` annotation, unquoted; "" when it has none.
std::string output_remote(const Output& out) {
  for (const auto& [k, v] : out.other)
    if (k == "remote") {
      bool quoted =
          v.size() >= 2 && (v.front() == '\'' || v.front() == '"') && v.back() == v.front();
      return quoted ? v.substr(1, v.size() - 2) : v;
    }
  return "";
}

// A remote and the objects that go to it or come from it.
struct Route {
  remote::RemoteSpec spec;
  std::unique_ptr<remote::Remote> remote;
  size_t jobs = 0;
  std::vector<ObjectRef> objects;
};

// Splits `objects` by remote, as DVC does: an output's own `remote:` first, then -r, then the
// default remote. With -r, outputs that name another remote are left out.
std::vector<Route> route(const std::filesystem::path& dvc_dir,
                         const std::vector<ObjectRef>& objects, const TransferOptions& options) {
  std::vector<Route> routes;
  std::unordered_map<std::string, size_t> index;
  RemoteConfig config(dvc_dir);
  for (const auto& o : objects) {
    if (!options.remote.empty() && !o.remote.empty() && o.remote != options.remote) continue;
    std::string name = o.remote.empty() ? options.remote : o.remote;
    auto [it, added] = index.try_emplace(name, routes.size());
    if (added) {
      Route r;
      r.spec = config.spec(name);
      r.remote = remote::open_remote(r.spec);
      r.jobs = jobs_for(options, r.spec, *r.remote);
      routes.push_back(std::move(r));
    }
    routes[it->second].objects.push_back(o);
  }
  return routes;
}

std::string describe_all(const std::vector<Route>& routes) {
  std::string text;
  for (const auto& r : routes) text += (text.empty() ? "" : ", ") + r.remote->describe();
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
      std::string rel = p.out_rel(i), remote = output_remote(out);
      add({out.md5, out.legacy, rel, remote});
      if (!out.is_dir()) continue;
      if (cache_->check(out.md5, out.legacy) != ObjectState::kOk) {
        if (unreadable_dirs) unreadable_dirs->push_back({out.md5, out.legacy, rel, remote});
        continue;
      }
      for (const auto& entry : load_manifest(out.md5, out.legacy))
        add({entry.md5, out.legacy, rel + "/" + entry.relpath, remote});
    }
  return objects;
}

std::vector<TrackedPointer> Workspace::transfer_pointers(const std::vector<std::string>& targets,
                                                         const std::vector<TrackedPointer>& also) {
  std::vector<TrackedPointer> chosen = select_pointers(targets);
  if (targets.empty()) chosen.insert(chosen.end(), also.begin(), also.end());
  return chosen;
}

TransferResult Workspace::push(const std::vector<std::string>& targets,
                               const TransferOptions& options,
                               const std::vector<TrackedPointer>& also) {
  RepoLock lock(dvc_dir());
  std::vector<ObjectRef> missing;
  std::vector<ObjectRef> objects = used_objects(transfer_pointers(targets, also), &missing);
  std::erase_if(objects, [&](const ObjectRef& o) {
    return std::any_of(missing.begin(), missing.end(),
                       [&](const ObjectRef& m) { return m.oid == o.oid; });
  });
  std::vector<Route> routes = route(dvc_dir(), objects, options);
  TransferResult result{describe_all(routes), 0, 0, 0};
  for (auto& r : routes) {
    std::vector<ObjectRef> local;
    for (auto& o : r.objects)
      (cache_->check(o.oid, o.legacy) == ObjectState::kOk ? local : missing).push_back(o);
    std::vector<std::string> keys;
    for (const auto& o : local) keys.push_back(remote_key(o.oid, o.legacy));
    auto present = keys_on_remote(*r.remote, keys, r.jobs);

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
    {
      core::Progress progress("Pushing", total, core::ProgressUnit::kBytes);
      progress.set_items(todo.size(), "objects");
      run_parallel(todo.size(), r.jobs, [&](size_t t) {
        const ObjectRef& o = local[todo[t]];
        // Legacy objects are named by md5-dos2unix, not by the md5 of their bytes.
        r.remote->put(keys[todo[t]], cache_->object_path(o.oid, o.legacy), sizes[todo[t]],
                      o.legacy ? "" : o.oid.substr(0, 32), [&](uint64_t n) { progress.add(n); });
        progress.add_item();
      });
    }
    r.remote->flush();
    result.transferred += todo.size();
    result.bytes += total;
    result.up_to_date += local.size() - todo.size();
  }
  if (!missing.empty())
    throw Error(ErrorCode::kNotFound,
                "pushed " + std::to_string(result.transferred) + " objects to " + result.remote +
                    ", but " + std::to_string(missing.size()) +
                    " are not in the local cache and were not pushed:" + list_paths(missing) +
                    "\nRun 'plinth fetch' from a remote that has them, or 'plinth commit' if the "
                    "files are in the workspace.");
  return result;
}

TransferResult Workspace::fetch(const std::vector<std::string>& targets,
                                const TransferOptions& options,
                                const std::vector<TrackedPointer>& also) {
  RepoLock lock(dvc_dir());
  std::vector<TrackedPointer> chosen = transfer_pointers(targets, also);
  TransferResult result;
  std::vector<std::string> used_remotes;
  std::vector<ObjectRef> not_on_remote;

  auto download = [&](const std::vector<ObjectRef>& wanted) {
    std::vector<ObjectRef> todo;
    for (const auto& o : wanted) {
      if (cache_->check(o.oid, o.legacy) == ObjectState::kOk)
        ++result.up_to_date;
      else
        todo.push_back(o);
    }
    for (auto& r : route(dvc_dir(), todo, options)) {
      if (std::find(used_remotes.begin(), used_remotes.end(), r.remote->describe()) ==
          used_remotes.end())
        used_remotes.push_back(r.remote->describe());
      std::vector<std::string> keys;
      for (const auto& o : r.objects) keys.push_back(remote_key(o.oid, o.legacy));
      auto present = keys_on_remote(*r.remote, keys, r.jobs);
      std::vector<size_t> available;
      for (size_t i = 0; i < r.objects.size(); ++i)
        (present.count(keys[i]) ? available.push_back(i) : not_on_remote.push_back(r.objects[i]));
      core::Progress progress("Fetching", 0, core::ProgressUnit::kBytes);
      progress.set_items(available.size(), "objects");
      std::mutex bytes_mutex;
      run_parallel(available.size(), r.jobs, [&](size_t t) {
        const ObjectRef& o = r.objects[available[t]];
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
        r.remote->get(keys[available[t]], sink);
        incoming.commit(r.remote->describe());
        progress.add_item();
        std::lock_guard guard(bytes_mutex);
        result.bytes += bytes;
        ++result.transferred;
      });
    }
  };

  // Directory manifests first: they say which file objects the directories need.
  std::vector<ObjectRef> dirs;
  for (const auto& p : chosen)
    for (size_t i = 0; i < p.file.outs.size(); ++i) {
      const Output& out = p.file.outs[i];
      if (out.is_dir() && out.cache)
        dirs.push_back({out.md5, out.legacy, p.out_rel(i), output_remote(out)});
    }
  download(dirs);
  std::vector<ObjectRef> files;
  for (auto& o : used_objects(chosen, nullptr))
    if (!o.oid.ends_with(".dir")) files.push_back(std::move(o));
  download(files);
  cache_->sync();
  for (const auto& name : used_remotes) result.remote += (result.remote.empty() ? "" : ", ") + name;
  if (!not_on_remote.empty())
    throw Error(ErrorCode::kNotFound,
                "fetched " + std::to_string(result.transferred) + " objects, but " +
                    std::to_string(not_on_remote.size()) + " are not on " + result.remote + ":" +
                    list_paths(not_on_remote) +
                    "\nPush them from a machine that has them ('plinth push').");
  return result;
}

CloudStatus Workspace::cloud_status(const std::vector<std::string>& targets,
                                    const TransferOptions& options,
                                    const std::vector<TrackedPointer>& also) {
  // A directory whose manifest is not here is reported by its manifest alone: which files
  // it needs is unknown until the manifest is fetched.
  std::vector<Route> routes =
      route(dvc_dir(), used_objects(transfer_pointers(targets, also), nullptr), options);
  CloudStatus status;
  if (routes.empty()) status.remote = RemoteConfig(dvc_dir()).spec(options.remote).name;
  for (auto& r : routes) {
    status.remote += (status.remote.empty() ? "" : "', '") + r.spec.name;
    std::vector<std::string> keys;
    for (const auto& o : r.objects) keys.push_back(remote_key(o.oid, o.legacy));
    auto present = keys_on_remote(*r.remote, keys, r.jobs);
    for (size_t i = 0; i < r.objects.size(); ++i) {
      const ObjectRef& o = r.objects[i];
      bool local = cache_->check(o.oid, o.legacy) == ObjectState::kOk;
      bool there = present.count(keys[i]) > 0;
      if (local && !there) status.entries.push_back({o.path, "new"});
      if (!local && there) status.entries.push_back({o.path, "deleted"});
      if (!local && !there) status.entries.push_back({o.path, "missing"});
    }
  }
  return status;
}

}  // namespace plinth::repo
