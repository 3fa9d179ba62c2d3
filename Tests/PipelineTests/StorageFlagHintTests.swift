import Foundation
import Pipeline
import Storage
import Testing
import TestSupport

/// Storage's typed failures as the command line shows them: Pipeline adds the option that gets past each
/// (`--no-sign-request`, `--region`), which Storage does not know.
@Suite struct StorageFlagHintTests {
    /// The whole path of `imgfeat featurize s3://…` without credentials, to the line the CLI prints.
    @Test func noCredentialsSaysNoSignRequest() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let settings = try EnvironmentSettings(environment: ["HOME": root.path, "AWS_EC2_METADATA_DISABLED": "true"])
        var options = RunOptions(input: "s3://bucket/images", output: root.appendingPathComponent("out").path, settings: settings)
        options.storage.endpointURL = "http://127.0.0.1:9"  // never reached: credentials are looked for first
        options.device = .cpu
        options.weights = "random:0"
        options.alpha = 0.35
        options.inputSize = 32
        options.quiet = true
        do {
            _ = try Commands.featurize(options)
            Issue.record("featurizing s3:// without credentials did not throw")
        } catch {
            #expect(PipelineError.line(for: error) == "AWS credentials: none found (environment, profile default, "
                    + "instance metadata: disabled by AWS_EC2_METADATA_DISABLED); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
                    + "or AWS_PROFILE, or use --no-sign-request for a public bucket")
        }
    }

    static func classified(status: Int, code: String, headers: [String: String] = [:], anonymous: Bool) throws -> StorageError {
        let body = Array("<Error><Code>\(code)</Code><Message>m</Message></Error>".utf8)
        let outcome = RetryClassifier.classify(name: "s3://bucket/key", curlCode: 0, curlMessage: "",
                                               response: HTTPResponse(status: status, headers: headers, body: body),
                                               anonymous: anonymous)
        guard case .fail(let error) = outcome else { throw PipelineError("HTTP \(status) \(code) did not fail") }
        return error
    }

    @Test func anonymousRefusalSaysDropNoSignRequest() throws {
        let error = try Self.classified(status: 403, code: "AccessDenied", anonymous: true)
        #expect(PipelineError.line(for: error) == "s3://bucket/key: HTTP 403 AccessDenied: m (anonymous access is refused); "
                + "drop --no-sign-request and give credentials")
        // Worded once, however often a message is passed through.
        #expect(error.withFlagHint.withFlagHint.description == PipelineError.line(for: error))
    }

    @Test(arguments: [("eu-west-1", " (eu-west-1)", " eu-west-1"), (nil, "", "")] as [(String?, String, String)])
    func wrongRegionSaysRegion(_ region: String?, _ shown: String, _ flagValue: String) throws {
        let error = try Self.classified(status: 301, code: "PermanentRedirect",
                                        headers: region.map { ["x-amz-bucket-region": $0] } ?? [:], anonymous: false)
        #expect(PipelineError.line(for: error) == "s3://bucket/key: PermanentRedirect: m: the bucket is in another "
                + "region\(shown); set AWS_REGION to it, or pass --region\(flagValue)")
    }

    /// A failure no option gets past is shown as Storage words it.
    @Test func otherFailuresAreUnchanged() throws {
        let error = try Self.classified(status: 403, code: "SignatureDoesNotMatch", anonymous: false)
        #expect(PipelineError.line(for: error) == error.description)
        #expect(PipelineError.line(for: PipelineError("x")) == "x")
    }
}
