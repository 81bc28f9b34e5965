namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// The one exception <see cref="ElfFile.Parse"/> and <see cref="ElfFile.Load"/> throw for input they
/// cannot use: a malformed image, or (from Load) a file that cannot be read, wrapped so callers need
/// a single catch. The message names the file when known and says exactly what is wrong.
/// </summary>
public sealed class ElfFormatException : Exception
{
    public ElfFormatException(string? path, string problem, Exception? innerException = null)
        : base(path is null ? problem : $"{path}: {problem}", innerException)
    {
        Path = path;
        Problem = problem;
    }

    private ElfFormatException(string path, Exception readError)
        : base($"cannot read {path}: {readError.Message}", readError)
    {
        Path = path;
        Problem = $"cannot read: {readError.Message}";
    }

    /// <summary>The file the image came from, if the caller said.</summary>
    public string? Path { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }

    internal static ElfFormatException CannotRead(string path, Exception readError) => new(path, readError);
}
