namespace GraNet.Data;

/// <summary>
/// A known data set: where its files are called what, its image shape, classes,
/// per-channel normalisation, and how a user gets it.
/// </summary>
/// <param name="Name">Registry name, e.g. <c>fashion-mnist</c>.</param>
/// <param name="SubFolders">Folder names the files may sit in below a data root (empty string: the root itself).</param>
/// <param name="TrainFiles">Training files (idx: images then labels).</param>
/// <param name="TestFiles">Test files (idx: images then labels).</param>
/// <param name="HowToGet">One sentence telling a user how to obtain the files.</param>
/// <param name="ReflectPadding">The random crop pads by reflection instead of with black (the GraNet code's CIFAR-10 loader).</param>
/// <param name="ImagesPerTrainFile">Images each training file must hold, for formats whose files do not say (CIFAR's binary files); null: any count.</param>
/// <param name="ImagesPerTestFile">Images each test file must hold, likewise.</param>
public sealed record DatasetSpec(
    string Name,
    DatasetFormat Format,
    ImageShape Shape,
    int Classes,
    float[] Mean,
    float[] Std,
    bool AugmentByDefault,
    IReadOnlyList<string> SubFolders,
    IReadOnlyList<string> TrainFiles,
    IReadOnlyList<string> TestFiles,
    string HowToGet,
    bool ReflectPadding = false,
    int? ImagesPerTrainFile = null,
    int? ImagesPerTestFile = null);
