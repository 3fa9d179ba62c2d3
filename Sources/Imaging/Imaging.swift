/// Namespace for the Imaging module.
public enum ImagingModule {}
