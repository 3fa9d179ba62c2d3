/// Namespace for the Parquet module.
public enum ParquetModule {}
