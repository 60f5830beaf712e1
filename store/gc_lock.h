#pragma once
// GcLock: keeps the garbage collector away from content that is being added
// but not pinned yet (Kubo's GCLocker "pin lock").
//
// An adder holds an AddGuard (shared) for its whole add-then-pin sequence:
// every block it writes is unreferenced by any pin until the final pin() lands,
// and a GC that ran in between would sweep it. The GC holds a GcGuard
// (exclusive) from reading the pins to the end of its sweep. Many adders run
// together; a GC waits for the adders in flight and, while it waits, new
// adders wait behind it (writer preference, like Go's sync.RWMutex), so a
// steady stream of adds cannot starve the GC.
//
// Thread-safety: fully thread-safe. Guards are movable RAII objects; a guard
// must not outlive its lock. Do not take a second AddGuard on a thread that
// already holds one: with a GC waiting, the second would wait forever.
//
//   auto guard = gc.add_guard();
//   Result<Cid> root = ipld::import_bytes(data, {}, sink);
//   ANARQ_RETURN_IF_ERROR(pins.pin(guard, *root, /*recursive=*/true));
#include <condition_variable>
#include <mutex>
#include <utility>

namespace anarq {

class GcLock {
 public:
  class AddGuard {
   public:
    AddGuard(AddGuard&& other) noexcept : lock_(std::exchange(other.lock_, nullptr)) {}
    AddGuard& operator=(AddGuard&& other) noexcept {
      if (this != &other) {
        release();
        lock_ = std::exchange(other.lock_, nullptr);
      }
      return *this;
    }
    AddGuard(const AddGuard&) = delete;
    AddGuard& operator=(const AddGuard&) = delete;
    ~AddGuard() { release(); }

    // Whether this guard currently holds `lock`.
    bool holds(const GcLock& lock) const { return lock_ == &lock; }
    void release() {
      if (lock_ != nullptr) std::exchange(lock_, nullptr)->unlock_shared();
    }

   private:
    friend class GcLock;
    explicit AddGuard(GcLock* lock) : lock_(lock) {}
    GcLock* lock_;
  };

  class GcGuard {
   public:
    GcGuard(GcGuard&& other) noexcept : lock_(std::exchange(other.lock_, nullptr)) {}
    GcGuard& operator=(GcGuard&&) = delete;
    GcGuard(const GcGuard&) = delete;
    GcGuard& operator=(const GcGuard&) = delete;
    ~GcGuard() {
      if (lock_ != nullptr) lock_->unlock();
    }

   private:
    friend class GcLock;
    explicit GcGuard(GcLock* lock) : lock_(lock) {}
    GcLock* lock_;
  };

  GcLock() = default;
  GcLock(const GcLock&) = delete;
  GcLock& operator=(const GcLock&) = delete;

  // Blocks while a GC runs or waits to run.
  AddGuard add_guard() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !gc_running_ && gc_waiting_ == 0; });
    ++adders_;
    return AddGuard(this);
  }

  // Blocks until no adder holds a guard and no other GC runs.
  GcGuard gc_guard() {
    std::unique_lock lock(mu_);
    ++gc_waiting_;
    cv_.wait(lock, [&] { return !gc_running_ && adders_ == 0; });
    --gc_waiting_;
    gc_running_ = true;
    return GcGuard(this);
  }

 private:
  void unlock_shared() {
    std::lock_guard lock(mu_);
    if (--adders_ == 0) cv_.notify_all();
  }
  void unlock() {
    std::lock_guard lock(mu_);
    gc_running_ = false;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  int adders_ = 0;
  int gc_waiting_ = 0;
  bool gc_running_ = false;
};

}  // namespace anarq
