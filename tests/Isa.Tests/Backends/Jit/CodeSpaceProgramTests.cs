using System.Diagnostics;
using System.Text.RegularExpressions;
using Isa.Backends.Jit;
using Isa.Tests.Linux;

namespace Isa.Tests.Backends.Jit;

/// <summary>
/// Real guest programs (tests/programs) under <c>isa run</c> with a code space so small that the
/// JIT flushes it many times: output and exit status identical to the interpreter's. The threads
/// program flushes while several guest threads run; the fork program's child gets the option too.
/// Needs scripts/build-test-programs.sh.
/// </summary>
[Trait("Requires", "deps")]
public sealed partial class CodeSpaceProgramTests
{
    public static TheoryData<string, string> Programs() => new()
    {
        { "mipsel-O2", "sha256" },
        { "mipsel-O2", "lists" },
        { "mipsel-O2", "nbody" },
        { "mipsel-O2", "threads" },
        { "mipsel-O2", "threadsignals" },
        { "mipsel-O2", "fork" },
        { "mips-O2", "statemachine" },
        { "mipsel-O2-dyn", "sort" },
    };

    [Theory]
    [MemberData(nameof(Programs))]
    public void ProgramFlushesATinyCodeSpaceAndMatchesTheInterpreter(string target, string name)
    {
        string stats = JitMatchesTheInterpreter(target, name, "--code-space 32K");
        Match flushes = FlushesPattern().Match(stats);
        Assert.True(flushes.Success, stats);
        Assert.True(long.Parse(flushes.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 2, stats);
    }

    /// <summary>
    /// The switch to profiled resident registers (a flush, then every block translated again for
    /// them) early in the run, with threads, signals, fork and a big-endian guest.
    /// </summary>
    [Theory]
    [MemberData(nameof(Programs))]
    public void ProgramSwitchesToResidentRegistersAndMatchesTheInterpreter(string target, string name)
    {
        string stats = JitMatchesTheInterpreter(target, name, "--resident-after 5000");
        Match resident = ResidentPattern().Match(stats);
        Assert.True(resident.Success, stats);
        Assert.Equal(new JitOptions().ResidentRegisterCount, resident.Groups[1].Value.Split(' ').Length);
    }

    [Fact]
    public void ACodeSpaceSizeOutsideTheLimitsIsAClearError()
    {
        string program = RepoPaths.Require(Path.Combine(RepoPaths.Deps, "programs", "mipsel-O2", "hello"), "bash scripts/build-test-programs.sh");
        (_, int status, string error) = Shell($"dotnet {RepoPaths.IsaDll} run --code-space 1K {program}");
        Assert.NotEqual(0, status);
        Assert.Contains("--code-space takes a size from 16K", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// Runs the program on the interpreter and on the JIT with <paramref name="jitOptions"/>: the same
    /// output and exit status. Returns the JIT run's statistics (its stderr with <c>--stats</c>).
    /// </summary>
    private static string JitMatchesTheInterpreter(string target, string name, string jitOptions)
    {
        string program = RepoPaths.Require(Path.Combine(RepoPaths.Deps, "programs", target, name), "bash scripts/build-test-programs.sh");
        string run = $"dotnet {RepoPaths.IsaDll} run --sysroot /usr/mipsel-linux-gnu";
        (string expected, int expectedStatus, _) = Shell($"{run} --engine interp {program}");
        (string actual, int actualStatus, string stats) = Shell($"{run} --engine jit {jitOptions} --stats {program}");

        Assert.Equal(expected, actual);
        Assert.Equal(expectedStatus, actualStatus);
        return stats;
    }

    [GeneratedRegex(@"(\d+) flushes")]
    private static partial Regex FlushesPattern();

    [GeneratedRegex(@"resident: (\w+(?: \w+)*) \(")]
    private static partial Regex ResidentPattern();

    private static (string Output, int Status, string Error) Shell(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> error = process.StandardError.ReadToEndAsync();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"still running after 2 minutes: {command}");
        }

        return (output.Result, process.ExitCode, error.Result);
    }
}
