using System.Diagnostics;

namespace Isa.Tests.Linux;

/// <summary>
/// Real Linux MIPS programs under <c>isa run</c> and under qemu-user, compared byte for byte on
/// stdout and exit status: Debian's busybox and lua5.4 (tests/conformance/commands.txt) and the
/// project's C corpus (static little- and big-endian, and dynamically linked).
/// Needs scripts/setup-deps.sh and scripts/build-test-programs.sh (scripts/test.sh runs both).
/// </summary>
[Trait("Requires", "deps")]
public sealed class QemuConformanceTests
{
    private const string ExecMarker = "@exec ";

    public static TheoryData<string> Commands() => CommandLines(exec: false);

    /// <summary>The commands that exec guest programs (marked <c>@exec</c>): their reference is Debian's x86-64 busybox.</summary>
    public static TheoryData<string> ExecCommands() => CommandLines(exec: true);

    private static TheoryData<string> CommandLines(bool exec)
    {
        var data = new TheoryData<string>();
        foreach (string line in File.ReadLines(Path.Combine(RepoPaths.Root, "tests/conformance/commands.txt")))
        {
            if (line.Length > 0 && !line.StartsWith('#') && line.StartsWith(ExecMarker, StringComparison.Ordinal) == exec)
            {
                data.Add(exec ? line[ExecMarker.Length..] : line);
            }
        }

        return data;
    }

    public static TheoryData<string, string> Programs()
    {
        var data = new TheoryData<string, string>();
        foreach (string target in new[] { "mipsel-O0", "mipsel-O2", "mips-O2", "mipsel-O2-dyn" })
        {
            foreach (string source in Directory.EnumerateFiles(Path.Combine(RepoPaths.Root, "tests/programs"), "*.c").Order())
            {
                data.Add(target, Path.GetFileNameWithoutExtension(source));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void CommandBehavesAsUnderQemu(string command)
    {
        string sysroot = RepoPaths.Require(RepoPaths.Sysroot, "bash scripts/setup-deps.sh");
        string environment = $"export BB={sysroot}/bin/busybox LUA={sysroot}/usr/bin/lua5.4 DATA={RepoPaths.Root}/tests/conformance/data;";
        Compare($"{environment} dotnet {RepoPaths.IsaDll} run --sysroot {sysroot} {command}", $"{environment} qemu-mipsel -L {sysroot} {command}");
    }

    /// <summary>
    /// Guest execve: qemu-user cannot exec a MIPS program without binfmt_misc, so the same command
    /// runs under Debian's busybox for x86-64 (the same version) with x86-64 lua5.4.
    /// </summary>
    [Theory]
    [MemberData(nameof(ExecCommands))]
    public void ExecCommandBehavesAsNativeBusybox(string command)
    {
        string sysroot = RepoPaths.Require(RepoPaths.Sysroot, "bash scripts/setup-deps.sh");
        string native = RepoPaths.Require(Path.Combine(RepoPaths.Deps, "busybox-amd64/bin/busybox"), "bash scripts/setup-deps.sh");
        string lua = RepoPaths.Require("/usr/bin/lua5.4", "bash scripts/setup-deps.sh");
        string data = $"DATA={RepoPaths.Root}/tests/conformance/data";
        Compare(
            $"export BB={sysroot}/bin/busybox LUA={sysroot}/usr/bin/lua5.4 {data}; dotnet {RepoPaths.IsaDll} run --sysroot {sysroot} {command}",
            $"export BB={native} LUA={lua} {data}; {command}");
    }

    [Theory]
    [MemberData(nameof(Programs))]
    public void ProgramBehavesAsUnderQemu(string target, string name)
    {
        string program = RepoPaths.Require(Path.Combine(RepoPaths.Deps, "programs", target, name), "bash scripts/build-test-programs.sh");
        string ours = $"dotnet {RepoPaths.IsaDll} run --sysroot /usr/mipsel-linux-gnu {program}";
        if (File.ReadAllText(Path.Combine(RepoPaths.Root, "tests/programs", name + ".c")).Contains("reference: native", StringComparison.Ordinal))
        {
            // qemu-user differs from a real kernel here (tests/programs/README.md): the native x86-64 run is the reference.
            string native = RepoPaths.Require(Path.Combine(RepoPaths.Deps, "programs", "x86_64-O2", name + ".exit"), "bash scripts/build-test-programs.sh");
            (byte[] actual, int actualStatus) = Shell(ours);
            AssertSameBytes(File.ReadAllBytes(Path.ChangeExtension(native, ".stdout")), actual);
            Assert.Equal(int.Parse(File.ReadAllText(native).Trim(), System.Globalization.CultureInfo.InvariantCulture), actualStatus);
            return;
        }

        string qemu = target.StartsWith("mipsel", StringComparison.Ordinal) ? "qemu-mipsel" : "qemu-mips";
        Compare(ours, $"{qemu} -L /usr/mipsel-linux-gnu {program}");
    }

    private static void Compare(string ours, string reference)
    {
        Assert.True(File.Exists("/usr/bin/qemu-mipsel"), "qemu-user is missing: run `bash scripts/setup-deps.sh` first");
        (byte[] expected, int expectedStatus) = Shell(reference);
        (byte[] actual, int actualStatus) = Shell(ours);
        AssertSameBytes(expected, actual);
        Assert.Equal(expectedStatus, actualStatus);
    }

    /// <summary>Byte for byte (gzip and tar write binary output); shown as text when they differ.</summary>
    private static void AssertSameBytes(byte[] expected, byte[] actual)
    {
        if (!expected.AsSpan().SequenceEqual(actual))
        {
            Assert.Equal(System.Text.Encoding.Latin1.GetString(expected), System.Text.Encoding.Latin1.GetString(actual));
            Assert.Equal(expected, actual);
        }
    }

    private static (byte[] Output, int Status) Shell(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Path.Combine(RepoPaths.Root, "tests/conformance/data"),
        };
        using Process process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> error = process.StandardError.ReadToEndAsync();
        var output = new MemoryStream();
        Task copied = process.StandardOutput.BaseStream.CopyToAsync(output);
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            // (waiting for the process, not for its output: a hung descendant may hold the pipe open)
            process.Kill(entireProcessTree: true);
            Assert.Fail($"still running after 2 minutes: {command}");
        }

        _ = error.Result;
        copied.Wait();
        return (output.ToArray(), process.ExitCode);
    }
}
