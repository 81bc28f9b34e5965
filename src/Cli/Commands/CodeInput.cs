using Isa.Cli.Disassembly;
using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Cli.Commands;

/// <summary>
/// The FILE argument of the code commands, opened as an ELF file (ISA from its header, or
/// <c>--isa</c>) or, with <c>--base</c>, as a raw binary (<c>--isa</c> required).
/// </summary>
internal static class CodeInput
{
    public static IReadOnlyList<string> OptionHelp(bool allowRaw) => allowRaw
        ?
        [
            "--isa NAME    the ISA to use (default: from the ELF header; see isa specs)",
            "--base ADDR   FILE is a raw binary loaded at ADDR (0x... or decimal); needs --isa",
        ]
        : ["--isa NAME    the ISA to use (default: from the ELF header; see isa specs)"];

    public static IReadOnlyCollection<string> ValueOptions(bool allowRaw) => allowRaw ? ["--isa", "--base"] : ["--isa"];

    /// <exception cref="CommandException">A missing file, an unknown ISA, or a raw binary without <c>--isa</c>.</exception>
    /// <exception cref="ElfFormatException">The file is not a well-formed ELF32 file.</exception>
    public static CodeImage Open(string path, CommandArguments arguments, bool allowRaw)
    {
        if (!File.Exists(path))
        {
            throw new CommandException(Directory.Exists(path) ? $"{path} is a directory, not a file" : $"{path}: no such file");
        }

        string? isaName = arguments.Value("--isa");
        GuestIsa? isa = isaName is null ? null : IsaSelection.ByName(isaName);
        ulong? baseAddress = allowRaw ? arguments.Address("--base") : null;
        if (baseAddress is ulong address)
        {
            return isa is null
                ? throw new CommandException("a raw binary (--base) needs --isa NAME")
                : CodeImage.FromRaw(path, ReadAll(path), isa, address);
        }

        if (allowRaw && !StartsWithElfMagic(path))
        {
            throw new CommandException($"{path} is not an ELF file; for a raw binary pass --isa NAME --base ADDR");
        }

        ElfFile elf = ElfFile.Load(path);
        if (isa is not null)
        {
            CheckFits(isa, elf, path);
        }

        return CodeImage.FromElf(elf, isa ?? IsaSelection.ForElf(elf));
    }

    /// <summary>An ISA of another machine or byte order would read every word wrongly: say so rather than print nonsense.</summary>
    private static void CheckFits(GuestIsa isa, ElfFile elf, string path)
    {
        if (isa.ElfMachine != elf.Machine)
        {
            throw new CommandException($"--isa {isa.Name} is for {ElfFile.MachineName(isa.ElfMachine)} programs, but {path} is {ElfFile.MachineName(elf.Machine)}");
        }

        if (isa.Endianness != elf.Endianness)
        {
            throw new CommandException($"--isa {isa.Name} is {Describe(isa.Endianness)}, but {path} is {Describe(elf.Endianness)}");
        }
    }

    private static string Describe(Endianness endianness) => endianness == Endianness.Little ? "little-endian" : "big-endian";

    private static byte[] ReadAll(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new CommandException($"cannot read {path}: {error.Message}", error);
        }
    }

    private static bool StartsWithElfMagic(string path)
    {
        Span<byte> magic = stackalloc byte[4];
        try
        {
            using FileStream stream = File.OpenRead(path);
            return stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length
                && magic.SequenceEqual("\u007fELF"u8);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new CommandException($"cannot read {path}: {error.Message}", error);
        }
    }
}
