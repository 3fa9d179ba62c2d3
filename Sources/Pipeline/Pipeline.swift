/// Namespace for the Pipeline module.
public enum PipelineModule {}
