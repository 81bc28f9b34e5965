using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// A parsed ELF file: header, program headers, sections and symbols, with slices of the image for
/// their contents. Only ELF32 is accepted for now (the guests are 32-bit MIPS and RISC-V). Parsing
/// checks every offset, size and count against the image, so later users can slice without checks,
/// and malformed input only ever surfaces as an <see cref="ElfFormatException"/>.
/// A file from <see cref="Load"/> is usually mapped, not read: disposing it unmaps it.
/// </summary>
public sealed class ElfFile : IDisposable
{
    private readonly ElfSection[] _sections;
    private readonly ElfReader _reader;

    /// <summary>Built on first use (a run needs no symbols); the parse has checked them already.</summary>
    private ElfSymbol[]? _symbols;

    /// <summary>Built on the first label lookup; concurrent first lookups may each build one, harmlessly.</summary>
    private ElfLabelIndex? _labels;

    internal ElfFile(
        in ElfReader reader,
        in ElfHeader header,
        ElfProgramHeader[] programHeaders,
        ElfSection[] sections,
        string? interpreter,
        MappedFile? source)
    {
        _reader = reader;
        Source = source;
        Image = reader.Image;
        Path = reader.Path;
        Endianness = reader.Endianness;
        Type = header.Type;
        Machine = header.Machine;
        Flags = header.Flags;
        Entry = header.Entry;
        ProgramHeaderOffset = header.ProgramHeaderOffset;
        ProgramHeaders = programHeaders;
        _sections = sections;
        Interpreter = interpreter;
    }

    /// <summary>
    /// The whole file; every <see cref="ElfSection.Data"/> and <see cref="ElfProgramHeader.Data"/> is a slice of it.
    /// From <see cref="Load"/> it is usually the file mapped read-only, valid until <see cref="Dispose"/>
    /// (without it, until the process ends).
    /// </summary>
    public ReadOnlyMemory<byte> Image { get; }

    /// <summary>The mapped file <see cref="Image"/> is, when <see cref="Load"/> could map it: loaders map segments from it.</summary>
    internal MappedFile? Source { get; }

    /// <summary>The file the image came from, if known; error messages name it.</summary>
    public string? Path { get; }

    public ElfClass Class => ElfClass.Elf32;

    public Endianness Endianness { get; }

    public ElfType Type { get; }

    /// <summary>e_machine; see <see cref="ElfMachine"/> and <see cref="MachineName"/>.</summary>
    public ushort Machine { get; }

    /// <summary>e_flags: machine-specific (MIPS ABI and ISA level, RISC-V float ABI and RVC).</summary>
    public uint Flags { get; }

    public ulong Entry { get; }

    /// <summary>e_phoff: where the program headers are in the file (loaders tell the guest where they land, AT_PHDR).</summary>
    public ulong ProgramHeaderOffset { get; }

    public IReadOnlyList<ElfProgramHeader> ProgramHeaders { get; }

    /// <summary>All section headers in file order, so <see cref="ElfSection.Index"/> indexes this list.</summary>
    public IReadOnlyList<ElfSection> Sections => _sections;

    /// <summary>
    /// The entries of .symtab, or of .dynsym when the file is stripped, in table order (entry 0 is the
    /// null symbol), so relocation symbol indices apply directly.
    /// </summary>
    public IReadOnlyList<ElfSymbol> Symbols => SymbolTable;

    private ElfSymbol[] SymbolTable => _symbols ??= ElfParser.ReadSymbols(_reader, _sections);

    /// <summary>The PT_INTERP path (the dynamic linker) without its NUL, or null for static executables.</summary>
    public string? Interpreter { get; }

    /// <summary>Sections holding code from the file: SHT_PROGBITS with SHF_EXECINSTR.</summary>
    public IEnumerable<ElfSection> ExecutableSections => _sections.Where(
        section => section.Type == ElfSectionType.ProgBits && section.Flags.HasFlag(ElfSectionFlags.ExecInstr));

    /// <summary>Parses an image. <paramref name="path"/> only labels error messages.</summary>
    /// <exception cref="ElfFormatException">The image is not a well-formed ELF32 file.</exception>
    public static ElfFile Parse(ReadOnlyMemory<byte> image, string? path = null) => ElfParser.Parse(image, path, source: null);

    /// <summary>
    /// Reads and parses a file. A regular file is mapped rather than read: the parser touches only the
    /// headers and tables it checks, and a loader maps segments straight from the file.
    /// </summary>
    /// <exception cref="ElfFormatException">
    /// The file cannot be read (missing, unreadable, a directory, ...; the I/O error is the inner
    /// exception) or is not a well-formed ELF32 file.
    /// </exception>
    public static ElfFile Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        MappedFile? mapped;
        byte[] image = [];
        try
        {
            mapped = MappedFile.TryOpen(path);
            if (mapped is null)
            {
                image = File.ReadAllBytes(path);
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or NotSupportedException
            or ArgumentException or System.Security.SecurityException)
        {
            throw ElfFormatException.CannotRead(path, error);
        }

        if (mapped is null)
        {
            return Parse(image, path);
        }

        try
        {
            return ElfParser.Parse(mapped.Memory, path, mapped);
        }
        catch (ElfFormatException)
        {
            ((IDisposable)mapped).Dispose();
            throw;
        }
    }

    /// <summary>Unmaps the file <see cref="Load"/> mapped; the image and its slices are then unusable. Nothing for a parsed image.</summary>
    public void Dispose() => ((IDisposable?)Source)?.Dispose();

    /// <summary>A readable name for an e_machine value, e.g. "MIPS" for 8.</summary>
    public static string MachineName(ushort machine) => machine switch
    {
        ElfMachine.None => "none",
        ElfMachine.Sparc => "SPARC",
        ElfMachine.X86 => "x86",
        ElfMachine.M68k => "m68k",
        ElfMachine.Mips => "MIPS",
        ElfMachine.MipsRs3Le => "MIPS RS3000 LE",
        ElfMachine.PowerPC => "PowerPC",
        ElfMachine.PowerPC64 => "PowerPC64",
        ElfMachine.S390 => "S/390",
        ElfMachine.Arm => "ARM",
        ElfMachine.SuperH => "SuperH",
        ElfMachine.SparcV9 => "SPARC V9",
        ElfMachine.IA64 => "IA-64",
        ElfMachine.X86_64 => "x86-64",
        ElfMachine.AArch64 => "AArch64",
        ElfMachine.RiscV => "RISC-V",
        ElfMachine.LoongArch => "LoongArch",
        _ => $"unknown machine {machine}",
    };

    /// <summary>The first section named <paramref name="name"/>, or null.</summary>
    public ElfSection? FindSection(string name) => Array.Find(_sections, section => section.Name == name);

    /// <summary>The symbol named <paramref name="name"/>, preferring one defined in this file over an undefined reference.</summary>
    public ElfSymbol? FindSymbol(string name)
    {
        ElfSymbol? undefined = null;
        foreach (ElfSymbol symbol in SymbolTable)
        {
            if (symbol.Name != name)
            {
                continue;
            }

            if (symbol.SectionIndex != 0)
            {
                return symbol;
            }

            undefined ??= symbol;
        }

        return undefined;
    }

    /// <summary>
    /// A disassembly label for <paramref name="address"/>: the nearest function or untyped symbol at or
    /// before it in the allocated section that contains it, with <paramref name="offset"/> the distance
    /// from that symbol ("main+0x10"). Null if no section or symbol fits.
    /// </summary>
    public string? SymbolAt(ulong address, out ulong offset)
    {
        ElfSection? section = Array.Find(_sections, candidate =>
            candidate.Flags.HasFlag(ElfSectionFlags.Alloc) && !candidate.Flags.HasFlag(ElfSectionFlags.Tls) && candidate.Contains(address));
        if (section is not null)
        {
            return SymbolAt(section, address, out offset);
        }

        offset = 0;
        return null;
    }

    /// <summary>
    /// As <see cref="SymbolAt(ulong, out ulong)"/>, within a given section: needed for relocatable
    /// files, whose sections all start at address 0.
    /// </summary>
    public string? SymbolAt(ElfSection section, ulong address, out ulong offset)
    {
        ArgumentNullException.ThrowIfNull(section);
        _labels ??= new ElfLabelIndex(SymbolTable);
        ElfSymbol? label = section.Contains(address) ? _labels.NearestAtOrBefore(section.Index, address) : null;
        offset = label is null ? 0 : address - label.Value;
        return label?.Name;
    }
}
