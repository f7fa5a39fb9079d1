// Tessera's native decode loop: one llama.cpp context, N sequences, ONE thread that batches every
// sequence's next token (and newcomers' prompt chunks) into a single llama_decode per step, samples
// every sequence in native code and hands the step's tokens to JavaScript in one call.
//
// Why: node-llama-cpp drives each sequence from JavaScript (one evaluate() loop per sequence, one
// native round trip per token and per sample), so the decode step waits for the JS thread; on a
// GPU the step is ~25 ms where llama.cpp needs ~2.5 ms, on 2 CPU cores it loses half the
// throughput at 16 streams. Here the decode thread never waits for JavaScript: JS submits
// requests and cancellations, the thread decodes, samples, detokenises and posts events.
//
// Built by scripts/build-native.mjs against the libllama that node-llama-cpp ships (same llama.cpp
// build, loaded once per process). The JavaScript side is native-decoder.ts.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "llama.h"

namespace {

enum Finish : uint8_t { kNone = 0, kStop = 1, kLength = 2, kAbort = 3, kError = 4 };

struct Sampling {
  float temperature = 1.0f;
  int32_t topK = 0;
  float topP = 1.0f;
  uint32_t seed = 0;
  int32_t maxTokens = 0;
  float presencePenalty = 0.0f;
  float frequencyPenalty = 0.0f;
  int32_t penaltyWindow = 256;
  std::string grammar;  // GBNF, root rule "root"; empty = none
};

struct Request {
  int32_t id = 0;
  int32_t slot = 0;
  int32_t reuse = 0;  // prompt tokens already in the slot's KV cache (a shared prefix)
  std::vector<llama_token> prompt;
  Sampling sampling;
};

// One event per sequence per step, posted to JavaScript in one batch.
struct Event {
  int32_t id;
  int32_t generated;  // completion tokens sampled so far (EOG included)
  int32_t nPast;      // tokens held in the KV cache for this sequence
  uint8_t finish;
  llama_token token;  // the token sampled this step (-1: none)
  std::string text;   // complete UTF-8 only; a partial character waits for the next token
  std::string error;
};

struct Slot {
  bool active = false;
  int32_t id = 0;
  std::vector<llama_token> pending;  // prompt tokens not yet decoded
  int32_t nPast = 0;
  int32_t generated = 0;
  int32_t maxTokens = 0;
  llama_token next = -1;  // sampled, to be decoded in the next step
  int32_t logitsIndex = -1;
  bool cancelled = false;
  // Sampling: plain loops for greedy and pure-temperature sampling (most requests); a llama.cpp
  // sampler chain when top-k/top-p, penalties or a grammar are asked for.
  float temperature = 0.0f;
  int32_t topK = 0;     // 0 = off
  float topP = 1.0f;    // 1 = off
  std::mt19937 rng;
  llama_sampler* chain = nullptr;
  std::string utf8;  // bytes of an incomplete character
};

// Length of the longest prefix of `s` that ends on a complete UTF-8 character.
size_t completeUtf8Prefix(const std::string& s) {
  size_t n = s.size();
  // Look at most 3 bytes back for the start of the last character.
  for (size_t back = 1; back <= 4 && back <= n; back++) {
    unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return back >= need ? n : n - back;
  }
  return n;
}

class Decoder : public Napi::ObjectWrap<Decoder> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Decoder", {
      InstanceMethod("load", &Decoder::Load),
      InstanceMethod("submit", &Decoder::Submit),
      InstanceMethod("cancel", &Decoder::Cancel),
      InstanceMethod("tokenize", &Decoder::Tokenize),
      InstanceMethod("info", &Decoder::Info),
      InstanceMethod("close", &Decoder::Close),
      InstanceMethod("ref", &Decoder::Ref),
      InstanceMethod("unref", &Decoder::Unref),
    });
  }

  Decoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Decoder>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
      Napi::TypeError::New(env, "new Decoder(options, onEvents)").ThrowAsJavaScriptException();
      return;
    }
    Napi::Object o = info[0].As<Napi::Object>();
    modelPath_ = o.Get("modelPath").As<Napi::String>().Utf8Value();
    nSeq_ = o.Get("sequences").As<Napi::Number>().Int32Value();
    ctxPerSeq_ = o.Get("contextSize").As<Napi::Number>().Int32Value();
    threads_ = o.Get("threads").As<Napi::Number>().Int32Value();
    batch_ = o.Get("batchSize").As<Napi::Number>().Int32Value();
    gpuLayers_ = o.Get("gpuLayers").As<Napi::Number>().Int32Value();
    flashAttention_ = o.Get("flashAttention").As<Napi::String>().Utf8Value();
    unifiedKv_ = o.Get("unifiedKv").ToBoolean();
    onEvents_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "tessera-decoder", 0, 1);
    onEvents_.Unref(env);  // an idle decoder does not keep the process alive
  }

  ~Decoder() override { Shutdown(); }

  // Loads the model and creates the context off the JavaScript thread; resolves when ready.
  Napi::Value Load(const Napi::CallbackInfo& info);

  bool LoadBlocking(std::string& error) {
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = gpuLayers_;
    model_ = llama_model_load_from_file(modelPath_.c_str(), mp);
    if (!model_) { error = "llama.cpp could not load " + modelPath_; return false; }
    vocab_ = llama_model_get_vocab(model_);
    nVocab_ = llama_vocab_n_tokens(vocab_);

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = static_cast<uint32_t>(ctxPerSeq_) * static_cast<uint32_t>(nSeq_);
    cp.n_seq_max = static_cast<uint32_t>(nSeq_);
    cp.n_batch = static_cast<uint32_t>(batch_);
    cp.n_ubatch = static_cast<uint32_t>(batch_);
    cp.n_threads = threads_;
    cp.n_threads_batch = threads_;
    // One KV buffer for all sequences: llama.cpp computes attention for the whole batch at once,
    // much faster with many streams. Each sequence is still held to ctxPerSeq tokens here, so the
    // sequences together never need more than the nSeq x ctxPerSeq cells allocated.
    cp.kv_unified = unifiedKv_;
    cp.no_perf = false;  // keeps llama.cpp's counters (graph reuse) for info()
    cp.flash_attn_type = flashAttention_ == "on" ? LLAMA_FLASH_ATTN_TYPE_ENABLED
                        : flashAttention_ == "off" ? LLAMA_FLASH_ATTN_TYPE_DISABLED
                        : LLAMA_FLASH_ATTN_TYPE_AUTO;
    ctx_ = llama_init_from_model(model_, cp);
    if (!ctx_) { error = "llama.cpp could not create a context of " + std::to_string(cp.n_ctx) + " tokens"; return false; }
    ctxPerSeq_ = std::min<int32_t>(ctxPerSeq_, static_cast<int32_t>(llama_n_ctx(ctx_)) / nSeq_);
    slots_.resize(nSeq_);
    batchBuf_ = llama_batch_init(batch_, 0, 1);
    thread_ = std::thread([this] { Loop(); });
    return true;
  }

 private:
  // submit(id, slot, Int32Array prompt, reuse, sampling)
  Napi::Value Submit(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto req = std::make_unique<Request>();
    req->id = info[0].As<Napi::Number>().Int32Value();
    req->slot = info[1].As<Napi::Number>().Int32Value();
    Napi::Int32Array prompt = info[2].As<Napi::Int32Array>();
    req->prompt.assign(prompt.Data(), prompt.Data() + prompt.ElementLength());
    req->reuse = info[3].As<Napi::Number>().Int32Value();
    Napi::Object s = info[4].As<Napi::Object>();
    req->sampling.temperature = s.Get("temperature").As<Napi::Number>().FloatValue();
    req->sampling.topK = s.Get("topK").As<Napi::Number>().Int32Value();
    req->sampling.topP = s.Get("topP").As<Napi::Number>().FloatValue();
    req->sampling.seed = s.Get("seed").As<Napi::Number>().Uint32Value();
    req->sampling.maxTokens = s.Get("maxTokens").As<Napi::Number>().Int32Value();
    req->sampling.presencePenalty = s.Get("presencePenalty").As<Napi::Number>().FloatValue();
    req->sampling.frequencyPenalty = s.Get("frequencyPenalty").As<Napi::Number>().FloatValue();
    req->sampling.penaltyWindow = s.Get("penaltyWindow").As<Napi::Number>().Int32Value();
    if (s.Has("grammar") && s.Get("grammar").IsString()) req->sampling.grammar = s.Get("grammar").As<Napi::String>().Utf8Value();
    if (req->slot < 0 || req->slot >= nSeq_ || req->prompt.empty() || req->reuse < 0 ||
        req->reuse >= static_cast<int32_t>(req->prompt.size())) {
      Napi::RangeError::New(env, "submit: bad slot, empty prompt or reuse not shorter than the prompt").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        Napi::Error::New(env, "decoder closed").ThrowAsJavaScriptException();
        return env.Undefined();
      }
      incoming_.push_back(std::move(req));
    }
    cv_.notify_one();
    return env.Undefined();
  }

  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    int32_t id = info[0].As<Napi::Number>().Int32Value();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cancels_.push_back(id);
    }
    cv_.notify_one();
    return info.Env().Undefined();
  }

  // tokenize(text, addSpecial, parseSpecial) → Int32Array (used by tests and completions)
  Napi::Value Tokenize(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::string text = info[0].As<Napi::String>().Utf8Value();
    bool addSpecial = info[1].ToBoolean();
    bool parseSpecial = info[2].ToBoolean();
    int32_t n = -llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), nullptr, 0, addSpecial, parseSpecial);
    Napi::Int32Array out = Napi::Int32Array::New(env, n > 0 ? n : 0);
    if (n > 0) llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), out.Data(), n, addSpecial, parseSpecial);
    return out;
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("contextSize", ctxPerSeq_);
    o.Set("sequences", nSeq_);
    o.Set("vocabulary", nVocab_);
    o.Set("trainContextSize", llama_model_n_ctx_train(model_));
    // Where the decode thread's time went (for benchmarks): steps, and ms in llama_decode, in
    // sampling + detokenising, and in the whole loop while it had work.
    o.Set("steps", static_cast<double>(steps_.load()));
    o.Set("decodeMs", static_cast<double>(decodeNs_.load()) / 1e6);
    o.Set("sampleMs", static_cast<double>(sampleNs_.load()) / 1e6);
    o.Set("busyMs", static_cast<double>(busyNs_.load()) / 1e6);
    o.Set("graphsReused", llama_perf_context(ctx_).n_reused);
    return o;
  }

  // ref()/unref(): the JavaScript side keeps the process alive while requests are in flight.
  Napi::Value Ref(const Napi::CallbackInfo& info) {
    onEvents_.Ref(info.Env());
    return info.Env().Undefined();
  }
  Napi::Value Unref(const Napi::CallbackInfo& info) {
    onEvents_.Unref(info.Env());
    return info.Env().Undefined();
  }

  // close(): stops the thread (running requests end with `abort`), frees context and model.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  void Shutdown() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
    for (Slot& slot : slots_) {
      if (slot.chain) llama_sampler_free(slot.chain);
      slot.chain = nullptr;
    }
    if (ctx_) { llama_batch_free(batchBuf_); llama_free(ctx_); ctx_ = nullptr; }
    if (model_) { llama_model_free(model_); model_ = nullptr; }
    onEvents_.Release();
  }

  // ---- the decode thread -------------------------------------------------------------------

  void Loop() {
    std::vector<Event> events;
    while (true) {
      std::vector<std::unique_ptr<Request>> incoming;
      std::vector<int32_t> cancels;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [this] { return stopping_ || !incoming_.empty() || !cancels_.empty() || activeCount_ > 0; });
        if (stopping_) break;
        incoming.swap(incoming_);
        cancels.swap(cancels_);
      }
      for (auto& req : incoming) Start(*req, events);
      for (int32_t id : cancels) {
        for (Slot& slot : slots_) {
          if (slot.active && slot.id == id) slot.cancelled = true;
        }
      }
      for (Slot& slot : slots_) {
        if (slot.active && slot.cancelled) End(slot, kAbort, events);
      }
      auto begun = std::chrono::steady_clock::now();
      if (activeCount_ > 0) Step(events);
      Post(events);
      busyNs_ += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - begun).count();
    }
    // Shutting down: whatever still runs ends with `abort`, and so does what was submitted but
    // not started yet (its listener is waiting for an event too).
    for (Slot& slot : slots_) {
      if (slot.active) End(slot, kAbort, events);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& req : incoming_) events.push_back(Event{req->id, 0, 0, kAbort, -1, "", ""});
      incoming_.clear();
    }
    Post(events);
  }

  void Start(Request& req, std::vector<Event>& events) {
    Slot& slot = slots_[req.slot];
    if (slot.active) {
      events.push_back(Event{req.id, 0, 0, kError, -1, "", "slot " + std::to_string(req.slot) + " is busy"});
      return;
    }
    const int32_t promptLength = static_cast<int32_t>(req.prompt.size());
    if (promptLength >= ctxPerSeq_) {
      events.push_back(Event{req.id, 0, 0, kError, -1, "", "prompt does not fit the sequence"});
      return;
    }
    llama_memory_t mem = llama_get_memory(ctx_);
    // Keep the shared prefix, drop the rest of what the slot held.
    if (!llama_memory_seq_rm(mem, req.slot, req.reuse, -1)) {
      llama_memory_seq_rm(mem, req.slot, -1, -1);
      req.reuse = 0;
    }
    slot.active = true;
    slot.cancelled = false;
    slot.id = req.id;
    slot.pending.assign(req.prompt.begin() + req.reuse, req.prompt.end());
    slot.nPast = req.reuse;
    slot.generated = 0;
    slot.maxTokens = std::min(req.sampling.maxTokens, ctxPerSeq_ - promptLength);
    slot.next = -1;
    slot.logitsIndex = -1;
    slot.utf8.clear();
    slot.temperature = req.sampling.temperature;
    slot.topK = req.sampling.topK;
    slot.topP = req.sampling.topP;
    slot.rng.seed(req.sampling.seed);
    if (slot.chain) { llama_sampler_free(slot.chain); slot.chain = nullptr; }
    const Sampling& s = req.sampling;
    bool plain = s.grammar.empty() && s.presencePenalty == 0.0f && s.frequencyPenalty == 0.0f;
    if (!plain) {
      slot.chain = llama_sampler_chain_init(llama_sampler_chain_default_params());
      if (!s.grammar.empty()) {
        llama_sampler* grammar = llama_sampler_init_grammar(vocab_, s.grammar.c_str(), "root");
        if (!grammar) {
          llama_sampler_free(slot.chain);
          slot.chain = nullptr;
          slot.active = false;
          events.push_back(Event{req.id, 0, 0, kError, -1, "", "llama.cpp refused the grammar"});
          return;
        }
        llama_sampler_chain_add(slot.chain, grammar);
      }
      if (s.presencePenalty != 0.0f || s.frequencyPenalty != 0.0f) {
        llama_sampler_chain_add(slot.chain, llama_sampler_init_penalties(nVocab_, s.penaltyWindow, 1.0f, s.frequencyPenalty, s.presencePenalty));
      }
      if (s.temperature <= 0.0f) {
        llama_sampler_chain_add(slot.chain, llama_sampler_init_greedy());
      } else {
        if (s.topK > 0) llama_sampler_chain_add(slot.chain, llama_sampler_init_top_k(s.topK));
        if (s.topP < 1.0f) llama_sampler_chain_add(slot.chain, llama_sampler_init_top_p(s.topP, 1));
        llama_sampler_chain_add(slot.chain, llama_sampler_init_temp(s.temperature));
        llama_sampler_chain_add(slot.chain, llama_sampler_init_dist(s.seed));
      }
    }
    activeCount_++;
  }

  void End(Slot& slot, Finish reason, std::vector<Event>& events, llama_token token = -1) {
    Event e{slot.id, slot.generated, slot.nPast, static_cast<uint8_t>(reason), token, std::move(slot.utf8), ""};
    slot.utf8.clear();
    events.push_back(std::move(e));
    slot.active = false;
    slot.pending.clear();
    activeCount_--;
  }

  void Step(std::vector<Event>& events) {
    llama_batch& b = batchBuf_;
    b.n_tokens = 0;
    auto add = [&](llama_token token, llama_pos pos, llama_seq_id seq, bool logits) {
      int32_t i = b.n_tokens++;
      b.token[i] = token;
      b.pos[i] = pos;
      b.n_seq_id[i] = 1;
      b.seq_id[i][0] = seq;
      b.logits[i] = logits;
      return i;
    };
    // Generating sequences first: one token each, so they advance every step.
    for (int32_t s = 0; s < nSeq_; s++) {
      Slot& slot = slots_[s];
      slot.logitsIndex = -1;
      if (slot.active && slot.pending.empty() && slot.next >= 0 && b.n_tokens < batch_) {
        slot.logitsIndex = add(slot.next, slot.nPast++, s, true);
      }
    }
    // Then prompt chunks, in slot order, while the batch has room.
    for (int32_t s = 0; s < nSeq_ && b.n_tokens < batch_; s++) {
      Slot& slot = slots_[s];
      if (!slot.active || slot.pending.empty()) continue;
      int32_t room = batch_ - b.n_tokens;
      int32_t take = std::min<int32_t>(room, static_cast<int32_t>(slot.pending.size()));
      for (int32_t k = 0; k < take; k++) {
        bool last = k == static_cast<int32_t>(slot.pending.size()) - 1;
        int32_t i = add(slot.pending[k], slot.nPast++, s, last);
        if (last) slot.logitsIndex = i;
      }
      slot.pending.erase(slot.pending.begin(), slot.pending.begin() + take);
    }
    if (b.n_tokens == 0) return;

    auto decodeStart = std::chrono::steady_clock::now();
    int32_t rc = llama_decode(ctx_, b);
    auto decodeEnd = std::chrono::steady_clock::now();
    decodeNs_ += std::chrono::duration_cast<std::chrono::nanoseconds>(decodeEnd - decodeStart).count();
    steps_++;
    if (rc != 0) {
      std::string why = "llama_decode failed (" + std::to_string(rc) + ")";
      for (Slot& slot : slots_) {
        if (!slot.active || slot.logitsIndex < 0) continue;
        Event e{slot.id, slot.generated, slot.nPast, kError, -1, "", why};
        events.push_back(std::move(e));
        slot.active = false;
        slot.pending.clear();
        activeCount_--;
      }
      return;
    }

    struct SampleTimer {
      std::atomic<int64_t>& total;
      std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
      ~SampleTimer() { total += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count(); }
    } sampleTimer{sampleNs_};
    for (Slot& slot : slots_) {
      if (!slot.active || slot.logitsIndex < 0) continue;
      llama_token token = Sample(slot);
      slot.generated++;
      if (llama_vocab_is_eog(vocab_, token)) {
        End(slot, kStop, events, token);
        continue;
      }
      char piece[256];
      int32_t n = llama_token_to_piece(vocab_, token, piece, sizeof piece, 0, false);
      if (n > 0) slot.utf8.append(piece, static_cast<size_t>(n));
      slot.next = token;
      // The sampled token is decoded next step: it needs a free cell.
      if (slot.generated >= slot.maxTokens || slot.nPast >= ctxPerSeq_) {
        End(slot, kLength, events, token);
        continue;
      }
      size_t complete = completeUtf8Prefix(slot.utf8);
      Event e{slot.id, slot.generated, slot.nPast, kNone, token, slot.utf8.substr(0, complete), ""};
      slot.utf8.erase(0, complete);
      events.push_back(std::move(e));
    }
  }

  llama_token Sample(Slot& slot) {
    if (slot.chain) {
      llama_token token = llama_sampler_sample(slot.chain, ctx_, slot.logitsIndex);
      return token;  // llama_sampler_sample accepts the token itself
    }
    const float* logits = llama_get_logits_ith(ctx_, slot.logitsIndex);
    // Greedy: argmax, as two branch-free passes the compiler vectorises (the maximum, then its
    // first index): several times faster than one pass tracking the index.
    const float max = MaxOf(logits, nVocab_);
    int32_t best = 0;
    while (best < nVocab_ - 1 && logits[best] != max) best++;
    if (slot.temperature <= 0.0f || slot.topK == 1) return best;
    if (slot.topK <= 0 && slot.topP >= 1.0f) return SampleAll(slot, logits, max);
    return SampleNucleus(slot, logits, max);
  }

  static float MaxOf(const float* values, int32_t n) {
    // Eight running maxima: no loop-carried dependency on a single register.
    float lanes[8];
    for (int k = 0; k < 8; k++) lanes[k] = values[0];
    int32_t i = 0;
    for (; i + 8 <= n; i += 8) {
      for (int k = 0; k < 8; k++) lanes[k] = values[i + k] > lanes[k] ? values[i + k] : lanes[k];
    }
    float max = lanes[0];
    for (int k = 1; k < 8; k++) max = lanes[k] > max ? lanes[k] : max;
    for (; i < n; i++) max = values[i] > max ? values[i] : max;
    return max;
  }

  // Temperature only (OpenAI's default top_p = 1, no top_k): one pass of exp, then draw.
  llama_token SampleAll(Slot& slot, const float* logits, float max) {
    probs_.resize(nVocab_);
    const float inv = 1.0f / slot.temperature;
    double sum = 0.0;
    for (int32_t i = 0; i < nVocab_; i++) {
      float p = std::exp((logits[i] - max) * inv);
      probs_[i] = p;
      sum += p;
    }
    double target = std::uniform_real_distribution<double>(0.0, sum)(slot.rng);
    double acc = 0.0;
    for (int32_t i = 0; i < nVocab_; i++) {
      acc += probs_[i];
      if (acc >= target) return i;
    }
    return nVocab_ - 1;
  }

  // top_k and/or top_p, in llama.cpp's order (top-k, then top-p on the softmax at temperature 1,
  // then temperature over what is left), without sorting the whole vocabulary: the candidates are
  // the top k (a bounded heap), or the tokens above a probability threshold lowered until they
  // hold top_p of the mass — the nucleus is always among them — and only those are sorted.
  llama_token SampleNucleus(Slot& slot, const float* logits, float max) {
    std::vector<std::pair<float, int32_t>>& cand = candidates_;
    cand.clear();
    if (slot.topK > 0 && slot.topK < nVocab_) {
      auto greater = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) { return a.first > b.first; };
      for (int32_t i = 0; i < nVocab_; i++) {
        if (static_cast<int32_t>(cand.size()) < slot.topK) {
          cand.emplace_back(logits[i], i);
          std::push_heap(cand.begin(), cand.end(), greater);
        } else if (logits[i] > cand.front().first) {
          std::pop_heap(cand.begin(), cand.end(), greater);
          cand.back() = {logits[i], i};
          std::push_heap(cand.begin(), cand.end(), greater);
        }
      }
    } else {
      // Unnormalised probabilities at temperature 1; keep halving the threshold until the tokens
      // above it hold top_p of the mass.
      probs_.resize(nVocab_);
      double sum = 0.0;
      for (int32_t i = 0; i < nVocab_; i++) {
        probs_[i] = std::exp(logits[i] - max);
        sum += probs_[i];
      }
      const double need = static_cast<double>(slot.topP) * sum;
      float threshold = 0.5f;  // relative to the most likely token (probability 1 here)
      while (true) {
        double mass = 0.0;
        for (int32_t i = 0; i < nVocab_; i++) if (probs_[i] >= threshold) mass += probs_[i];
        if (mass >= need || threshold < 1e-30f) break;
        threshold *= 0.5f;
      }
      for (int32_t i = 0; i < nVocab_; i++) if (probs_[i] >= threshold) cand.emplace_back(logits[i], i);
    }
    std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    // top_p over the candidates (softmax at temperature 1, as llama.cpp's top-p sampler sees it).
    size_t keep = cand.size();
    if (slot.topP < 1.0f) {
      double total = 0.0;
      for (const auto& c : cand) total += std::exp(c.first - max);
      // With top-k, the candidates are all there is; without, `total` is at least top_p of the
      // whole mass, so normalise by the whole mass instead.
      double whole = total;
      if (!(slot.topK > 0 && slot.topK < nVocab_)) {
        whole = 0.0;
        for (int32_t i = 0; i < nVocab_; i++) whole += probs_[i];
      }
      double acc = 0.0;
      for (size_t k = 0; k < cand.size(); k++) {
        acc += std::exp(cand[k].first - max) / whole;
        if (acc >= slot.topP) { keep = k + 1; break; }
      }
    }
    // Temperature over the survivors, then draw.
    const float inv = 1.0f / slot.temperature;
    double sum = 0.0;
    weights_.resize(keep);
    for (size_t k = 0; k < keep; k++) {
      weights_[k] = std::exp((cand[k].first - cand[0].first) * inv);
      sum += weights_[k];
    }
    double target = std::uniform_real_distribution<double>(0.0, sum)(slot.rng);
    double acc = 0.0;
    for (size_t k = 0; k < keep; k++) {
      acc += weights_[k];
      if (acc >= target) return cand[k].second;
    }
    return cand[keep - 1].second;
  }

  // Hands the step's events to JavaScript in one call; the decode thread does not wait for it.
  void Post(std::vector<Event>& events) {
    if (events.empty()) return;
    auto* batch = new std::vector<Event>(std::move(events));
    events.clear();
    napi_status status = onEvents_.NonBlockingCall(batch, [](Napi::Env env, Napi::Function fn, std::vector<Event>* batch) {
      std::unique_ptr<std::vector<Event>> owned(batch);
      if (env == nullptr) return;
      Napi::Array out = Napi::Array::New(env, owned->size());
      uint32_t k = 0;
      for (Event& e : *owned) {
        Napi::Array item = Napi::Array::New(env, 7);
        item.Set(0u, e.id);
        item.Set(1u, e.generated);
        item.Set(2u, e.nPast);
        item.Set(3u, static_cast<int32_t>(e.finish));
        item.Set(4u, Napi::String::New(env, e.text));
        item.Set(5u, e.token);
        if (!e.error.empty()) item.Set(6u, Napi::String::New(env, e.error));
        out.Set(k++, item);
      }
      fn.Call({out});
    });
    if (status != napi_ok) delete batch;
  }

  std::string modelPath_;
  int32_t nSeq_ = 1;
  int32_t ctxPerSeq_ = 2048;
  int32_t threads_ = 1;
  int32_t batch_ = 512;
  int32_t gpuLayers_ = 0;
  std::string flashAttention_ = "auto";
  bool unifiedKv_ = true;

  llama_model* model_ = nullptr;
  const llama_vocab* vocab_ = nullptr;
  llama_context* ctx_ = nullptr;
  int32_t nVocab_ = 0;
  llama_batch batchBuf_{};
  std::vector<Slot> slots_;
  std::vector<float> probs_;
  std::vector<double> weights_;
  std::vector<std::pair<float, int32_t>> candidates_;
  int32_t activeCount_ = 0;
  std::atomic<int64_t> steps_{0}, decodeNs_{0}, sampleNs_{0}, busyNs_{0};  // decode thread only (read under the lock by the wait predicate)

  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<Request>> incoming_;
  std::vector<int32_t> cancels_;
  std::thread thread_;
  Napi::ThreadSafeFunction onEvents_;
};

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, Decoder* decoder, Napi::Object self)
      : Napi::AsyncWorker(env), decoder_(decoder), deferred_(Napi::Promise::Deferred::New(env)) {
    self_ = Napi::Persistent(self);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    std::string error;
    if (!decoder_->LoadBlocking(error)) SetError(error);
  }
  void OnOK() override { deferred_.Resolve(self_.Value()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Decoder* decoder_;
  Napi::ObjectReference self_;
  Napi::Promise::Deferred deferred_;
};

Napi::Value Decoder::Load(const Napi::CallbackInfo& info) {
  auto* worker = new LoadWorker(info.Env(), this, info.This().As<Napi::Object>());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

std::once_flag backendOnce;

// init(libDir): llama.cpp's backend, once per process. node-llama-cpp's addon shares the same
// libllama/libggml (same files), so its CPU backend may be registered already.
Napi::Value InitBackend(const Napi::CallbackInfo& info) {
  std::string dir = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  std::call_once(backendOnce, [&] {
    if (ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) == nullptr && !dir.empty()) {
      ggml_backend_load_all_from_path(dir.c_str());
    }
    llama_backend_init();
  });
  bool ok = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU) != nullptr;
  return Napi::Boolean::New(info.Env(), ok);
}

}  // namespace

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = Decoder::Init(env);
  exports.Set("Decoder", ctor);
  exports.Set("initBackend", Napi::Function::New(env, InitBackend));
  return exports;
}

NODE_API_MODULE(tessera_llama, InitModule)
