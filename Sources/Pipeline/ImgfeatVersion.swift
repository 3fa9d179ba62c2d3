/// The tool's version: `imgfeat --version`, summaries and every Parquet file's metadata.
public enum ImgfeatVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
