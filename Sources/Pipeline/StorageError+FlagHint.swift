import Storage

extension StorageError {
    /// This error with the command-line option that gets past it, where there is one: Storage names no
    /// CLI flag, so the wording is Pipeline's (as `ModelLoading.withFlagHint` is for Model's errors).
    public var withFlagHint: StorageError {
        let hint: String
        switch kind {
        case .noCredentials?: hint = ", or use --no-sign-request for a public bucket"
        case .anonymousRefused?: hint = "; drop --no-sign-request and give credentials"
        case .wrongRegion(let bucketRegion)?: hint = ", or pass --region" + (bucketRegion.map { " \($0)" } ?? "")
        case nil: return self
        }
        var hinted = self
        if !reason.hasSuffix(hint) { hinted.reason += hint }
        return hinted
    }
}
