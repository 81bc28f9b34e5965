using Isa.Cli.Commands;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Tests.Loaders;

namespace Isa.Tests.Disassembly;

/// <summary>
/// The commands' user errors, run in-process: each must print exactly one <c>isa: ...</c> line on
/// stderr, nothing on stdout, and exit with status 2, never a stack trace.
/// </summary>
public sealed class CliErrorTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("isa-cli-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void DisasmOfAMissingFile()
    {
        string missing = Path.Combine(_directory, "missing.elf");

        string error = AssertFails(new DisasmCommand(), missing);

        Assert.Equal($"isa: disasm: {missing}: no such file", error);
    }

    [Fact]
    public void DisasmOfATruncatedElf()
    {
        string truncated = Write("truncated.elf", ElfBuilder.Sample(Endianness.Little).Build()[..30]);

        string error = AssertFails(new DisasmCommand(), truncated);

        Assert.StartsWith($"isa: {truncated}: truncated: ELF header", error, StringComparison.Ordinal);
    }

    [Fact]
    public void CompareOfATruncatedElf()
    {
        byte[] image = ElfBuilder.Sample(Endianness.Little).Build();
        string truncated = Write("truncated.elf", image[..(image.Length / 2)]);

        string error = AssertFails(new CompareObjdumpCommand(), truncated);

        Assert.StartsWith($"isa: {truncated}: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownIsa()
    {
        string elf = Write("sample.elf", ElfBuilder.Sample(Endianness.Little).Build());

        string error = AssertFails(new CompareObjdumpCommand(), elf, "--isa", "z80");

        Assert.StartsWith("isa: compare-objdump: unknown ISA 'z80' (known: ", error, StringComparison.Ordinal);
        Assert.All(IsaCatalog.All, isa => Assert.Contains(isa.Name, error, StringComparison.Ordinal));
    }

    [Fact]
    public void IsaOfAnotherByteOrder()
    {
        string elf = Write("sample.elf", ElfBuilder.Sample(Endianness.Little).Build());
        GuestIsa bigEndian = IsaCatalog.All.First(isa => isa.Endianness == Endianness.Big);

        string error = AssertFails(new DisasmCommand(), elf, "--isa", bigEndian.Name);

        Assert.Equal($"isa: disasm: --isa {bigEndian.Name} is big-endian, but {elf} is little-endian", error);
    }

    [Fact]
    public void MachineWithoutAnIsa()
    {
        string elf = Write("sparc.elf", new ElfBuilder(Endianness.Big) { Machine = 2 }.Build());

        string error = AssertFails(new BenchDecodeCommand(), elf);

        Assert.StartsWith("isa: bench-decode: no ISA for SPARC (e_machine 2) big-endian programs", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingObjdump()
    {
        string elf = Write("sample.elf", ElfBuilder.Sample(Endianness.Little).Build());
        string missing = Path.Combine(_directory, "no-objdump");

        string error = AssertFails(new CompareObjdumpCommand(), elf, "--objdump", missing);

        Assert.Equal($"isa: compare-objdump: objdump {missing} does not exist", error);
    }

    [Fact]
    public void RawBinaryWithoutIsaOrBase()
    {
        string raw = Write("code.bin", new byte[16]);

        Assert.Equal("isa: disasm: a raw binary (--base) needs --isa NAME", AssertFails(new DisasmCommand(), raw, "--base", "0x1000"));
        Assert.Equal($"isa: disasm: {raw} is not an ELF file; for a raw binary pass --isa NAME --base ADDR", AssertFails(new DisasmCommand(), raw));
    }

    [Theory]
    [InlineData("--frob")]
    [InlineData("--show", "-1")]
    [InlineData("--show", "many")]
    [InlineData("--show")]
    [InlineData("--isa", "a", "--isa", "b")]
    public void BadOptions(params string[] options)
    {
        string elf = Write("sample.elf", ElfBuilder.Sample(Endianness.Little).Build());

        string error = AssertFails(new CompareObjdumpCommand(), [elf, .. options]);

        Assert.StartsWith("isa: compare-objdump: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void BadArguments()
    {
        Assert.Equal("isa: disasm: missing FILE", AssertFails(new DisasmCommand()));
        Assert.Equal("isa: compare-objdump: missing FILE", AssertFails(new CompareObjdumpCommand()));
        Assert.Equal("isa: bench-decode: option --iterations: '0' is not a whole number from 1 to 2147483647", AssertFails(new BenchDecodeCommand(), "x", "--iterations", "0"));
        Assert.StartsWith("isa: disasm: option --base: 'zz' is not an address", AssertFails(new DisasmCommand(), Write("x.bin", [0]), "--isa", "mips32el", "--base", "zz"), StringComparison.Ordinal);
        Assert.Equal("isa: specs: takes no arguments, got: extra", AssertFails(new SpecsCommand(), "extra"));
    }

    [Fact]
    public void UnknownCommandAndNoArguments()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(2, CommandLine.Run(["frobnicate"], output, error));
        Assert.StartsWith("isa: unknown command 'frobnicate'", SingleLine(error), StringComparison.Ordinal);
        Assert.Equal(2, CommandLine.Run([], output, new StringWriter()));
        Assert.Equal("", output.ToString());
    }

    [Fact]
    public void HelpAndSpecsSucceed()
    {
        var output = new StringWriter();

        Assert.Equal(0, CommandLine.Run(["--help"], output, TextWriter.Null));
        Assert.All(CommandLine.Commands, command => Assert.Contains(command.Synopsis, output.ToString(), StringComparison.Ordinal));
        Assert.Equal(0, new DisasmCommand().Run(["--help"], output, TextWriter.Null));

        var specs = new StringWriter();
        Assert.Equal(0, new SpecsCommand().Run([], specs, TextWriter.Null));
        Assert.All(IsaCatalog.All, isa => Assert.Contains($"{isa.Name} ", specs.ToString(), StringComparison.Ordinal));
    }

    private static string AssertFails(Command command, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        int status = command.Run(args, output, error);

        Assert.Equal(2, status);
        Assert.Equal("", output.ToString());
        return SingleLine(error);
    }

    private static string SingleLine(StringWriter error)
    {
        string[] lines = error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        return Assert.Single(lines);
    }

    private string Write(string name, byte[] contents)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, contents);
        return path;
    }
}
