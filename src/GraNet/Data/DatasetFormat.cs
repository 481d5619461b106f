namespace GraNet.Data;

/// <summary>How a data set is stored on disk.</summary>
public enum DatasetFormat
{
    /// <summary>MNIST-style idx files, raw or <c>.gz</c>.</summary>
    Idx,

    /// <summary>CIFAR-10 binary version (<c>cifar-10-batches-bin</c>).</summary>
    Cifar10Binary,

    /// <summary>CIFAR-100 binary version (<c>cifar-100-binary</c>).</summary>
    Cifar100Binary,
}
