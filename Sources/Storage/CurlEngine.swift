import CCurl
import Foundation

private let curlGlobalInit: Bool = curl_global_init(3) == CURLE_OK  // CURL_GLOBAL_ALL

/// Runs batches of HTTP requests through one libcurl multi handle: up to `concurrency` in flight,
/// connections kept alive between batches, failed attempts retried with backoff.
public final class CurlEngine: @unchecked Sendable {
    private let lock = NSLock()
    private let multi: UnsafeMutableRawPointer?
    private var idle: [UnsafeMutableRawPointer] = []
    let settings: TransferSettings
    public let concurrency: Int
    public let retry: RetryPolicy
    private let anonymous: Bool

    /// An engine for `config`'s concurrency, timeouts, retries and TLS settings.
    public init(_ config: StorageConfig) {
        _ = curlGlobalInit
        multi = curl_multi_init()
        concurrency = max(1, config.concurrency)
        retry = config.retry
        anonymous = config.anonymous
        settings = TransferSettings(connectTimeout: config.connectTimeout, requestTimeout: config.requestTimeout,
                                    stallTimeout: config.stallTimeout, insecure: config.insecure,
                                    followRedirects: false, maxBodyBytes: config.maxObjectBytes)
        if let multi {
            setupFailure = CurlStatus.failure(imgfeat_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, concurrency),
                                              "CURLMOPT_MAX_HOST_CONNECTIONS")
                ?? CurlStatus.failure(imgfeat_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, concurrency * 2),
                                      "CURLMOPT_MAXCONNECTS")
        } else {
            setupFailure = "libcurl could not be initialised"
        }
    }

    /// Why the multi handle cannot be used, if it cannot.
    private let setupFailure: String?

    deinit {
        for easy in idle { curl_easy_cleanup(easy) }
        if let multi { curl_multi_cleanup(multi) }
    }

    /// Runs one request (with retries) and returns its response or the reason it failed.
    public func perform(_ job: HTTPJob, followRedirects: Bool = false) -> Result<HTTPResponse, StorageError> {
        perform([job], followRedirects: followRedirects)[0]
    }

    /// Runs `jobs` with up to `concurrency` in flight; results in the order of `jobs`. A fatal error
    /// (bad credentials) stops the batch: every request not yet done gets that error.
    public func perform(_ jobs: [HTTPJob], followRedirects: Bool = false) -> [Result<HTTPResponse, StorageError>] {
        guard !jobs.isEmpty else { return [] }
        lock.lock(); defer { lock.unlock() }
        guard let multi, curlGlobalInit, setupFailure == nil else {
            let reason = setupFailure ?? "libcurl could not be initialised"
            return jobs.map { .failure(StorageError($0.name, reason, fatal: true)) }
        }
        var settings = self.settings
        settings.followRedirects = followRedirects
        var results = [Result<HTTPResponse, StorageError>?](repeating: nil, count: jobs.count)
        var pending = jobs.indices.reversed().map { CurlTransfer(index: $0, job: jobs[$0]) }
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        var fatal: StorageError?
        var remaining = jobs.count

        func finish(_ t: CurlTransfer, _ result: Result<HTTPResponse, StorageError>) {
            t.releaseAttempt()
            if results[t.index] == nil { remaining -= 1 }
            results[t.index] = result
            if case .failure(let e) = result, e.isFatal, fatal == nil { fatal = e }
        }

        while remaining > 0 {
            if let fatal {
                for (easy, t) in active { detach(easy, multi); finish(t, .failure(fatal)) }
                active = [:]
                for t in pending { finish(t, .failure(fatal)) }
                pending = []
                break
            }
            let now = Self.now()
            // Start what is due, oldest first, up to the concurrency limit.
            var i = pending.count - 1
            while active.count < concurrency, i >= 0, fatal == nil {
                let t = pending[i]
                if t.notBefore <= now {
                    pending.remove(at: i)
                    if let failure = start(t, multi, settings, &active) { finish(t, .failure(failure)) }
                }
                i -= 1
            }
            var running: Int32 = 0
            if let failure = CurlStatus.failure(curl_multi_perform(multi, &running), "curl_multi_perform") {
                fatal = StorageError("libcurl", failure, fatal: true)
                continue
            }
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let t = active.removeValue(forKey: easy) else { continue }
                let code = Int(message.pointee.data.result.rawValue)
                var status = 0
                let statusFailure = CurlStatus.failure(imgfeat_curl_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status),
                                                       "CURLINFO_RESPONSE_CODE")
                detach(easy, multi)
                if let statusFailure {
                    finish(t, .failure(StorageError(t.job.name, statusFailure)))
                    continue
                }
                t.status = status
                judge(t, curlCode: code, settings: settings, pending: &pending, finish: finish)
            }
            if active.isEmpty, let soonest = pending.map(\.notBefore).min() {
                let wait = soonest - Self.now()
                if wait > 0 { Thread.sleep(forTimeInterval: min(wait, 1)) }
            } else if !active.isEmpty {
                var fds: Int32 = 0
                if let failure = CurlStatus.failure(curl_multi_poll(multi, nil, 0, 50, &fds), "curl_multi_poll") {
                    fatal = StorageError("libcurl", failure, fatal: true)
                }
            }
        }
        return results.enumerated().map { index, r in
            r ?? .failure(StorageError(jobs[index].name, "transfer never completed"))
        }
    }

    /// CURLE_COULDNT_RESOLVE_HOST, and how many attempts it gets.
    static let unresolvedHostCode = 6
    static let unresolvedHostAttempts = 2

    private func judge(_ t: CurlTransfer, curlCode: Int, settings: TransferSettings, pending: inout [CurlTransfer],
                       finish: (CurlTransfer, Result<HTTPResponse, StorageError>) -> Void) {
        let name = t.request?.displayName ?? t.job.name
        if t.overLimit {
            finish(t, .failure(StorageError(name, "object is over the \(settings.maxBodyBytes)-byte limit")))
            return
        }
        if let fileError = t.fileError {
            finish(t, .failure(StorageError(name, fileError)))
            return
        }
        let response = HTTPResponse(status: t.status, headers: t.headers, body: t.body)
        switch RetryClassifier.classify(name: name, curlCode: curlCode, curlMessage: t.curlMessage,
                                        response: response, anonymous: anonymous) {
        case .success:
            finish(t, .success(response))
        case .fail(let error):
            finish(t, .failure(error))
        case .retry(let problem):
            t.lastProblem = problem
            let delay = retry.delay(afterAttempt: t.attempt)
            // A name that does not resolve is nearly always a typo or no network at all: one retry covers
            // a resolver hiccup without making the user wait through the whole backoff.
            let attempts = curlCode == Self.unresolvedHostCode ? min(retry.maxAttempts, Self.unresolvedHostAttempts)
                : retry.maxAttempts
            if t.attempt >= attempts || t.waited + delay > retry.maxTotalDelay {
                finish(t, .failure(StorageError(name, "gave up after \(t.attempt) attempts: \(problem)")))
                return
            }
            t.releaseAttempt()
            t.waited += delay
            t.notBefore = Self.now() + delay
            pending.insert(t, at: 0)
        }
    }

    /// Builds the attempt's request and adds it to the multi handle; returns an error if it cannot.
    private func start(_ t: CurlTransfer, _ multi: UnsafeMutableRawPointer, _ settings: TransferSettings,
                       _ active: inout [UnsafeMutableRawPointer: CurlTransfer]) -> StorageError? {
        t.attempt += 1
        let request: HTTPRequest
        do {
            request = try t.job.make()
        } catch let error as StorageError {
            return error
        } catch {
            return StorageError(t.job.name, "cannot build the request (\(error))")
        }
        guard let easy = idle.popLast() ?? curl_easy_init() else {
            return StorageError(t.job.name, "libcurl could not create a handle")
        }
        do {
            try t.configure(easy, request: request, config: settings)
        } catch {
            curl_easy_reset(easy)
            idle.append(easy)
            return error as? StorageError ?? StorageError(t.job.name, "\(error)")
        }
        guard curl_multi_add_handle(multi, easy) == CURLM_OK else {
            curl_easy_reset(easy)
            idle.append(easy)
            return StorageError(t.job.name, "libcurl refused the transfer")
        }
        active[easy] = t
        return nil
    }

    private func detach(_ easy: UnsafeMutableRawPointer, _ multi: UnsafeMutableRawPointer) {
        // A handle the multi handle will not let go of is not reused.
        guard CurlStatus.failure(curl_multi_remove_handle(multi, easy), "curl_multi_remove_handle") == nil else { return }
        curl_easy_reset(easy)
        idle.append(easy)
    }

    static func now() -> Double { Date().timeIntervalSinceReferenceDate }
}
