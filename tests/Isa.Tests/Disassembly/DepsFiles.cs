namespace Isa.Tests.Disassembly;

/// <summary>
/// The reference binaries that scripts/setup-deps.sh and scripts/build-test-programs.sh put in
/// .deps/. They are required: a missing one fails the test with the command that provides it.
/// </summary>
internal static class DepsFiles
{
    public const string SetupDeps = "bash scripts/setup-deps.sh";

    public const string BuildPrograms = "bash scripts/build-test-programs.sh";

    /// <summary>The corpus targets compared with objdump (mipsel-O2-dyn is the same code as mipsel-O2, dynamically linked).</summary>
    public static TheoryData<string> CorpusTargets => ["mipsel-O0", "mipsel-O2", "mips-O2", "rv32im-O2"];

    public static string Busybox
    {
        get
        {
            string path = Path.Combine(RepositoryRoot, ".deps", "sysroot-mipsel", "bin", "busybox");
            Assert.True(File.Exists(path), $"{path} is missing: run `{SetupDeps}` first");
            return path;
        }
    }

    /// <summary>The programs of one corpus target: the files without an extension (not .stdout, .exit, ...).</summary>
    public static IReadOnlyList<string> CorpusPrograms(string target)
    {
        string directory = Path.Combine(RepositoryRoot, ".deps", "programs", target);
        string[] programs = Directory.Exists(directory)
            ? Directory.GetFiles(directory).Where(path => !Path.GetFileName(path).Contains('.', StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray()
            : [];
        Assert.True(programs.Length > 0, $"no programs in {directory}: run `{SetupDeps}` and `{BuildPrograms}` first");
        return programs;
    }

    public static string RepositoryRoot
    {
        get
        {
            for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Directory.Build.props")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException($"no Directory.Build.props above {AppContext.BaseDirectory}");
        }
    }
}
