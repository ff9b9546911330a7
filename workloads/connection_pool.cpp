// connection-pool: a server's pool of connections, each owning read and write buffers
// (4–64 KiB); handler threads borrow a connection per request, build the request's
// small objects (header strings, a parameter map, a response body), copy through the
// buffers and return the connection. Some requests tear their connection down and
// build a new one. Stands for an RPC or HTTP server or a database client pool: a mix
// of long-lived mid-size buffers, short-lived small objects, and buffer churn on
// reconnects.
//
// Everything a request allocates is drawn from (seed, request id), never from the
// connection or thread that serves it, so counts and the checksum do not depend on the
// interleaving; only `waits` does. Each request's digest follows its own work in order
// (every size, every copy); the requests' digests are summed, as any handler may serve any.
#include "workloads/blocking_pool.hpp"
#include "workloads/digest.hpp"
#include "workloads/object_pool.hpp"
#include "workloads/phased_threads.hpp"
#include "workloads/rng.hpp"
#include "workloads/workload.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <vector>

namespace allocbench {
namespace {

using Buffer = std::vector<char, ObjectAllocator<char>>;
using Text = std::basic_string<char, std::char_traits<char>, ObjectAllocator<char>>;

struct Connection {
  Buffer read_buffer;
  Buffer write_buffer;
  uint64_t requests_served = 0;
};

using ConnectionPtr = Pooled<Connection>;

class ConnectionPoolWorkload final : public Workload {
 public:
  explicit ConnectionPoolWorkload(const WorkloadConfig& c)
      : cfg_(c),
        requests_(static_cast<uint64_t>(c.params.at("requests"))),
        connections_(static_cast<size_t>(c.params.at("connections"))),
        recycle_every_(static_cast<uint64_t>(c.params.at("recycle_every"))),
        max_body_(static_cast<size_t>(c.params.at("max_body"))),
        pools_(c.threads, c.params.at("allocate") == 0),
        sums_(c.threads) {}

  void setup() override {
    ObjectPools::Use objects(pools_, 0);
    std::vector<ConnectionPtr> conns;
    for (size_t i = 0; i < connections_; ++i) {
      conns.push_back(connect(mix(cfg_.seed, i, 0xc0)));
      setup_digest_ = mix(setup_digest_, conns.back()->read_buffer.size(), conns.back()->write_buffer.size());
    }
    pool_ = std::make_unique<BlockingPool<ConnectionPtr>>(std::move(conns));
    handlers_ = std::make_unique<PhasedThreads>(cfg_.threads, [this](unsigned t, Phase p) {
      ObjectPools::Use objects(pools_, t);
      if (p == Phase::run) handle_requests(sums_[t].value);
    });
    handlers_->setup();
  }

  void run() override { handlers_->run(); }

  void teardown() override {
    ObjectPools::Use objects(pools_, 0);
    handlers_->teardown();
    borrows_ = pool_->borrows();
    waits_ = pool_->waits();
    pool_->drain();
    pool_.reset();
  }

  WorkloadOutcome outcome() const override {
    uint64_t checksum = setup_digest_;
    for (const auto& s : sums_) checksum += s.value;  // a sum: any handler serves any request
    return {requests_, checksum,
            {Stat{"borrows", static_cast<int64_t>(borrows_)}, Stat{"waits", static_cast<int64_t>(waits_)},
             Stat{"recycles", recycles_.load()}}};
  }

 private:
  static ConnectionPtr connect(uint64_t seed) {
    Rng rng(seed);
    auto c = make_pooled<Connection>();
    c->read_buffer.resize(rng.between(4, 64) * 1024);
    c->write_buffer.resize(rng.between(4, 64) * 1024);
    return c;
  }

  // Content is cheap to make (one letter repeated): the allocation is what is measured.
  // One draw: its low half the length, its high half the letter.
  static Text text(Rng& rng, size_t min, size_t max) {
    uint64_t d = rng.next();
    size_t n = min + (((d & 0xffffffff) * (max - min + 1)) >> 32);
    return Text(n, static_cast<char>('a' + (((d >> 32) * 26) >> 32)));
  }

  // Requests are taken in any order by any handler: the sum of their digests is the same.
  void handle_requests(uint64_t& sum) {
    uint64_t local = 0;
    for (uint64_t r; (r = next_request_.fetch_add(1, std::memory_order_relaxed)) < requests_;) local += serve(r);
    sum = local;
  }

  // One request: everything it allocates and its result depend on (seed, r) only.
  uint64_t serve(uint64_t r) {
    Rng rng(mix(cfg_.seed, r, 0x5e));
    ConnectionPtr conn = pool_->borrow();

    std::vector<std::pair<Text, Text>, ObjectAllocator<std::pair<Text, Text>>> headers;
    size_t header_count = rng.between(4, 12);
    for (size_t i = 0; i < header_count; ++i) headers.emplace_back(text(rng, 8, 24), text(rng, 8, 80));
    std::map<Text, Text, std::less<>, ObjectAllocator<std::pair<const Text, Text>>> query;
    // try_emplace: a repeated name allocates no node, as emplace does only with std::allocator.
    for (size_t i = rng.between(1, 6); i > 0; --i) query.try_emplace(text(rng, 4, 20), text(rng, 1, 40));

    // "Receive": the request's bytes land in the connection's read buffer.
    size_t at = 0;
    Digest digest;
    digest.add(r);
    for (const auto& [k, v] : headers) {
      for (const Text* s : {&k, &v}) {
        size_t n = std::min(s->size(), conn->read_buffer.size() - at);
        std::copy_n(s->data(), n, conn->read_buffer.data() + at);
        at = (at + n) % conn->read_buffer.size();
        digest.add(s->size() << 8 | static_cast<unsigned char>((*s)[0]));
      }
    }
    for (const auto& [k, v] : query) digest.add(k.size() << 32 | v.size());

    // "Respond": a body built in a string, copied to the write buffer.
    Text body = text(rng, 64, max_body_);
    size_t n = std::min(body.size(), conn->write_buffer.size());
    std::copy_n(body.data(), n, conn->write_buffer.data());
    digest.add(body.size() << 8 | static_cast<unsigned char>(conn->write_buffer[n - 1]));
    ++conn->requests_served;

    if (rng.below(recycle_every_) == 0) {  // the peer went away: reconnect
      conn = connect(mix(cfg_.seed, r, 0xc1));
      digest.add(conn->read_buffer.size() << 32 | conn->write_buffer.size());
      recycles_.fetch_add(1, std::memory_order_relaxed);
    }
    pool_->give_back(std::move(conn));
    return digest.value();
  }

  WorkloadConfig cfg_;
  uint64_t requests_;
  size_t connections_;
  uint64_t recycle_every_;
  size_t max_body_;
  ObjectPools pools_;  // outlives the connections and everything a request holds
  struct alignas(64) Sum {  // one cache line per handler
    uint64_t value = 0;
  };
  std::vector<Sum> sums_;
  std::unique_ptr<BlockingPool<ConnectionPtr>> pool_;
  std::unique_ptr<PhasedThreads> handlers_;
  std::atomic<uint64_t> next_request_{0};
  std::atomic<int64_t> recycles_{0};
  uint64_t borrows_ = 0;
  uint64_t waits_ = 0;
  uint64_t setup_digest_ = 0;  // the pool's connections, in order
};

}  // namespace

extern const WorkloadInfo connection_pool_workload{
    "connection-pool",
    "handler threads borrow pooled connections (4-64 KiB buffers) and build small per-request objects",
    {
        {"requests", ValueType::count, 300'000, 1, 1'000'000'000, "requests served, over all threads"},
        {"connections", ValueType::count, 16, 1, 100'000, "connections in the pool"},
        {"recycle_every", ValueType::count, 500, 1, 1'000'000'000,
         "one request in this many tears its connection down and reconnects"},
        {"max_body", ValueType::bytes, 4096, 64, 16 << 20, "largest response body"},
        allocate_param(),
    },
    2,
    WorkloadKind::standard,
    [](const WorkloadConfig& c) -> std::unique_ptr<Workload> {
      return std::make_unique<ConnectionPoolWorkload>(c);
    },
    {{"requests", "3000"}, {"recycle_every", "50"}},
};

}  // namespace allocbench
