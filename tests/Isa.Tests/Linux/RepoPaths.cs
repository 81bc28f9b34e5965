namespace Isa.Tests.Linux;

/// <summary>Where the repository and its prepared dependencies are, for tests that run real guest programs.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Deps => Path.Combine(Root, ".deps");

    public static string Sysroot => Path.Combine(Deps, "sysroot-mipsel");

    /// <summary>The <c>isa</c> CLI built beside the tests (the test project references it).</summary>
    public static string IsaDll => Path.Combine(AppContext.BaseDirectory, "isa.dll");

    /// <summary>Fails the test with the setup step to run when a prepared file is missing.</summary>
    public static string Require(string path, string setupStep)
    {
        Assert.True(File.Exists(path) || Directory.Exists(path), $"{path} is missing: run `{setupStep}` first");
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Isa.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (Isa.sln) above " + AppContext.BaseDirectory);
    }
}
