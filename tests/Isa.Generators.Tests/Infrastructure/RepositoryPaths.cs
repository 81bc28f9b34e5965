namespace Isa.Generators.Tests.Infrastructure;

/// <summary>Finds the repository from the test assembly's directory, so tests can read the real specs.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The spec files in isa/, by path, sorted.</summary>
    public static IReadOnlyList<string> SpecFiles() =>
        Directory.GetFiles(Path.Combine(Root, "isa"), "*.isa").OrderBy(p => p, StringComparer.Ordinal).ToList();

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Isa.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Isa.sln above {AppContext.BaseDirectory}");
    }
}
