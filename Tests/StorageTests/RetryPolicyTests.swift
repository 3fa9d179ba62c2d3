import Foundation
import Storage
import Testing

/// Backoff delays stay within their exponential bound and actually spread (jitter).
struct RetryPolicyTests {
    @Test(arguments: [1, 2, 3, 7, 13, 40])
    func delaysStayWithinBound(attempt: Int) {
        let policy = RetryPolicy(maxAttempts: 50, baseDelay: 0.1, maxDelay: 3, maxTotalDelay: 100)
        let bound = min(3, 0.1 * Double(1 << min(attempt - 1, 30)))
        var seen = Set<Double>()
        for _ in 0 ..< 200 {
            let d = policy.delay(afterAttempt: attempt)
            #expect(d >= 0 && d <= bound, "attempt \(attempt): \(d) outside [0, \(bound)]")
            seen.insert(d)
        }
        #expect(seen.count > 100, "jitter should spread delays, got \(seen.count) distinct")
    }

    @Test func atLeastOneAttempt() {
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }

    /// A host that cannot resolve (the reserved `.invalid` domain never does) gets one retry, not the
    /// policy's eight, and the error says why.
    @Test func unresolvableHostGivesUpAfterTwoAttempts() throws {
        var config = StorageConfig(environment: [:])
        config.retry = RetryPolicy(maxAttempts: 8, baseDelay: 0.01, maxDelay: 0.02, maxTotalDelay: 10)
        let results = ObjectFetcher(config).fetch(["http://imgfeat-test.invalid/apple.jpg"])
        guard case .failure(let error) = try #require(results.first) else {
            Issue.record("fetching from an unresolvable host succeeded")
            return
        }
        #expect(error.description.contains("gave up after 2 attempts"), "\(error)")
        #expect(error.description.contains("imgfeat-test.invalid"), "\(error)")
    }
}
