using System.Text;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// Turns an ELF32 image into an <see cref="ElfFile"/>. Every offset, size and count read from the
/// file goes through <see cref="ElfReader"/> before it is used, so malformed input can only end in
/// an <see cref="ElfFormatException"/>; tables are allocated only after their extent is known to
/// fit in the file, which also caps every count by the file size.
/// </summary>
internal static class ElfParser
{
    private const int IdentSize = 16;
    private const int HeaderSize = 52;
    private const int ProgramHeaderSize = 32;
    private const int SectionHeaderSize = 40;
    private const int SymbolSize = 16;

    /// <summary>PN_XNUM / SHN_XINDEX: the real count or index lives in section header 0.</summary>
    private const ushort Extended = 0xffff;

    private static ReadOnlySpan<byte> Magic => [0x7f, (byte)'E', (byte)'L', (byte)'F'];

    /// <summary>Parses <paramref name="image"/>; <paramref name="source"/> is the mapped file it is, if it is one.</summary>
    public static ElfFile Parse(ReadOnlyMemory<byte> image, string? path, MappedFile? source)
    {
        ElfReader reader = ReadIdentification(image, path);
        ElfHeader header = ReadHeader(reader);
        ElfSection[] sections = ReadSections(reader, header);
        ElfProgramHeader[] programHeaders = ReadProgramHeaders(reader, header, sections);
        CheckSymbols(reader, sections);
        string? interpreter = ReadInterpreter(reader, programHeaders);
        return new ElfFile(reader, header, programHeaders, sections, interpreter, source);
    }

    private static ElfReader ReadIdentification(ReadOnlyMemory<byte> image, string? path)
    {
        var reader = new ElfReader(image, Endianness.Little, path);
        ReadOnlySpan<byte> bytes = image.Span;
        if (bytes.IsEmpty)
        {
            throw reader.Error("not an ELF file (empty)");
        }

        int compared = Math.Min(bytes.Length, Magic.Length);
        if (!bytes[..compared].SequenceEqual(Magic[..compared]))
        {
            throw reader.Error("not an ELF file (bad magic)");
        }

        ReadOnlySpan<byte> ident = reader.Record(0, IdentSize, new ElfPart("ELF identification"));
        CheckClass((ElfClass)ident[4], reader);
        Endianness endianness = DataEncoding(ident[5], reader);
        if (ident[6] != 1)
        {
            throw reader.Error($"unsupported ELF version {ident[6]} (expected 1)");
        }

        return reader.WithEndianness(endianness);
    }

    private static void CheckClass(ElfClass elfClass, in ElfReader reader)
    {
        switch (elfClass)
        {
            case ElfClass.Elf32:
                return;
            case ElfClass.Elf64:
                throw reader.Error("64-bit ELF is not supported");
            default:
                throw reader.Error($"invalid ELF class {(byte)elfClass} (expected 1 = 32-bit or 2 = 64-bit)");
        }
    }

    private static Endianness DataEncoding(byte encoding, in ElfReader reader) => encoding switch
    {
        1 => Endianness.Little,
        2 => Endianness.Big,
        _ => throw reader.Error($"invalid data encoding {encoding} (expected 1 = little-endian or 2 = big-endian)"),
    };

    private static ElfHeader ReadHeader(in ElfReader reader)
    {
        ReadOnlySpan<byte> bytes = reader.Record(0, HeaderSize, new ElfPart("ELF header"));
        return new ElfHeader(
            Type: (ElfType)reader.U16(bytes, 16),
            Machine: reader.U16(bytes, 18),
            Flags: reader.U32(bytes, 36),
            Entry: reader.U32(bytes, 24),
            ProgramHeaderOffset: reader.U32(bytes, 28),
            ProgramHeaderEntrySize: reader.U16(bytes, 42),
            ProgramHeaderCount: reader.U16(bytes, 44),
            SectionHeaderOffset: reader.U32(bytes, 32),
            SectionHeaderEntrySize: reader.U16(bytes, 46),
            SectionHeaderCount: reader.U16(bytes, 48),
            SectionNameTableIndex: reader.U16(bytes, 50));
    }

    private static ElfSection[] ReadSections(in ElfReader reader, in ElfHeader header)
    {
        if (header.SectionHeaderOffset == 0)
        {
            return header.SectionHeaderCount == 0
                ? []
                : throw reader.Error($"{header.SectionHeaderCount} section headers declared but the section header table offset is 0");
        }

        if (header.SectionHeaderEntrySize != SectionHeaderSize)
        {
            throw reader.Error($"bad section header entry size 0x{header.SectionHeaderEntrySize:x} (expected 0x{SectionHeaderSize:x} for ELF32)");
        }

        ReadOnlySpan<byte> first = reader.Record(header.SectionHeaderOffset, SectionHeaderSize, new ElfPart("section header", 0));
        ulong count = header.SectionHeaderCount != 0 ? header.SectionHeaderCount : reader.U32(first, 20);
        ReadOnlySpan<byte> table = reader.Table(header.SectionHeaderOffset, count, SectionHeaderSize, "section header");
        ElfStringTable names = ReadSectionNameTable(reader, header, table, count);

        var sections = new ElfSection[count];
        for (int i = 0; i < sections.Length; i++)
        {
            sections[i] = ReadSection(reader, table.Slice(i * SectionHeaderSize, SectionHeaderSize), i, names);
        }

        return sections;
    }

    private static ElfStringTable ReadSectionNameTable(in ElfReader reader, in ElfHeader header, ReadOnlySpan<byte> table, ulong count)
    {
        ulong index = header.SectionNameTableIndex == Extended && count > 0 ? reader.U32(table, 24) : header.SectionNameTableIndex;
        if (index == 0)
        {
            return ElfStringTable.None;
        }

        if (index >= count)
        {
            throw reader.Error($"section name string table index {index} out of range ({count} sections)");
        }

        ReadOnlySpan<byte> record = table.Slice((int)index * SectionHeaderSize, SectionHeaderSize);
        var part = new ElfPart("section name string table", (long)index);
        var type = (ElfSectionType)reader.U32(record, 4);
        if (type != ElfSectionType.StrTab)
        {
            throw reader.Error($"{part} has type 0x{(uint)type:x}, not SHT_STRTAB");
        }

        return new ElfStringTable(reader.Record(reader.U32(record, 16), reader.U32(record, 20), part), part);
    }

    private static ElfSection ReadSection(in ElfReader reader, ReadOnlySpan<byte> record, int index, ElfStringTable names)
    {
        string name = names.Read(reader, reader.U32(record, 0), new ElfPart("section", index));
        var type = (ElfSectionType)reader.U32(record, 4);
        ulong offset = reader.U32(record, 16);
        ulong size = reader.U32(record, 20);
        bool occupiesFile = type is not (ElfSectionType.NoBits or ElfSectionType.Null);
        return new ElfSection(
            Index: index,
            Name: name,
            Type: type,
            Flags: (ElfSectionFlags)reader.U32(record, 8),
            Address: reader.U32(record, 12),
            Offset: offset,
            Size: size,
            Link: reader.U32(record, 24),
            Info: reader.U32(record, 28),
            Alignment: reader.U32(record, 32),
            EntrySize: reader.U32(record, 36),
            Data: occupiesFile ? reader.Slice(offset, size, new ElfPart("section", index, name)) : ReadOnlyMemory<byte>.Empty);
    }

    private static ElfProgramHeader[] ReadProgramHeaders(in ElfReader reader, in ElfHeader header, ElfSection[] sections)
    {
        ulong count = ProgramHeaderCount(reader, header, sections);
        if (count == 0)
        {
            return [];
        }

        if (header.ProgramHeaderOffset == 0)
        {
            throw reader.Error($"{count} program headers declared but the program header table offset is 0");
        }

        if (header.ProgramHeaderEntrySize != ProgramHeaderSize)
        {
            throw reader.Error($"bad program header entry size 0x{header.ProgramHeaderEntrySize:x} (expected 0x{ProgramHeaderSize:x} for ELF32)");
        }

        ReadOnlySpan<byte> table = reader.Table(header.ProgramHeaderOffset, count, ProgramHeaderSize, "program header");
        var headers = new ElfProgramHeader[count];
        for (int i = 0; i < headers.Length; i++)
        {
            headers[i] = ReadProgramHeader(reader, table.Slice(i * ProgramHeaderSize, ProgramHeaderSize), i);
        }

        return headers;
    }

    private static ulong ProgramHeaderCount(in ElfReader reader, in ElfHeader header, ElfSection[] sections)
    {
        if (header.ProgramHeaderCount != Extended)
        {
            return header.ProgramHeaderCount;
        }

        return sections.Length > 0
            ? sections[0].Info
            : throw reader.Error("program header count is PN_XNUM (0xffff) but there is no section header 0 holding the real count");
    }

    private static ElfProgramHeader ReadProgramHeader(in ElfReader reader, ReadOnlySpan<byte> record, int index)
    {
        var type = (ElfSegmentType)reader.U32(record, 0);
        ulong offset = reader.U32(record, 4);
        ulong fileSize = reader.U32(record, 16);
        var header = new ElfProgramHeader(
            Index: index,
            Type: type,
            Offset: offset,
            VirtualAddress: reader.U32(record, 8),
            PhysicalAddress: reader.U32(record, 12),
            FileSize: fileSize,
            MemorySize: reader.U32(record, 20),
            Flags: (ElfSegmentFlags)reader.U32(record, 24),
            Align: reader.U32(record, 28),
            Data: reader.Slice(offset, fileSize, new ElfPart("segment", index)));
        if (type == ElfSegmentType.Load)
        {
            CheckLoadable(reader, header);
        }

        return header;
    }

    private static void CheckLoadable(in ElfReader reader, ElfProgramHeader header)
    {
        if (header.FileSize > header.MemorySize)
        {
            throw reader.Error($"program header {header.Index} (PT_LOAD): file size 0x{header.FileSize:x} exceeds memory size 0x{header.MemorySize:x}");
        }

        if (header.VirtualAddress + header.MemorySize > 1UL << 32)
        {
            throw reader.Error($"program header {header.Index} (PT_LOAD): 0x{header.MemorySize:x} bytes at 0x{header.VirtualAddress:x} extend past the 32-bit address space");
        }
    }

    /// <summary>
    /// The symbol table, built when first asked for: a run needs none of it, and a static libc's
    /// thousands of names were a good part of start-up. Parsing checks it without building it
    /// (<see cref="CheckSymbols"/>).
    /// </summary>
    public static ElfSymbol[] ReadSymbols(in ElfReader reader, ElfSection[] sections)
    {
        ReadOnlySpan<byte> entries = SymbolEntries(reader, sections, out ElfStringTable names);
        var symbols = new ElfSymbol[entries.Length / SymbolSize];
        for (int i = 0; i < symbols.Length; i++)
        {
            symbols[i] = ReadSymbol(reader, entries.Slice(i * SymbolSize, SymbolSize), i, names, sections.Length);
        }

        return symbols;
    }

    /// <summary>Throws what <see cref="ReadSymbols"/> would, without building a symbol or a name.</summary>
    private static void CheckSymbols(in ElfReader reader, ElfSection[] sections)
    {
        ReadOnlySpan<byte> entries = SymbolEntries(reader, sections, out ElfStringTable names);
        for (int i = 0; i < entries.Length / SymbolSize; i++)
        {
            CheckSymbol(reader, entries.Slice(i * SymbolSize, SymbolSize), i, names, sections.Length);
        }
    }

    /// <summary>The records of .symtab (else .dynsym) and their names, checked for shape; empty when there is neither.</summary>
    private static ReadOnlySpan<byte> SymbolEntries(in ElfReader reader, ElfSection[] sections, out ElfStringTable names)
    {
        names = ElfStringTable.None;
        ElfSection? table = FirstOfType(sections, ElfSectionType.SymTab) ?? FirstOfType(sections, ElfSectionType.DynSym);
        if (table is null)
        {
            return [];
        }

        var part = new ElfPart("section", table.Index, table.Name);
        if (table.EntrySize != SymbolSize)
        {
            throw reader.Error($"{part} has entry size 0x{table.EntrySize:x} (expected 0x{SymbolSize:x} for ELF32 symbols)");
        }

        if (table.Size % SymbolSize != 0)
        {
            throw reader.Error($"{part} size 0x{table.Size:x} is not a multiple of the symbol size 0x{SymbolSize:x}");
        }

        names = LinkedStringTable(reader, sections, table, part);
        return table.Data.Span;
    }

    /// <summary>Checks a symbol's name and section index; a bad one's error names it.</summary>
    private static void CheckSymbol(in ElfReader reader, ReadOnlySpan<byte> record, int index, ElfStringTable names, int sectionCount)
    {
        uint nameOffset = reader.U32(record, 0);
        names.Check(reader, nameOffset, new ElfPart("symbol", index));
        ushort sectionIndex = reader.U16(record, 14);
        if (sectionIndex != 0 && sectionIndex < ElfSymbol.FirstReservedSectionIndex && sectionIndex >= sectionCount)
        {
            string name = names.Read(reader, nameOffset, new ElfPart("symbol", index));
            throw reader.Error($"{new ElfPart("symbol", index, name)} section index {sectionIndex} out of range ({sectionCount} sections)");
        }
    }

    private static ElfSection? FirstOfType(ElfSection[] sections, ElfSectionType type) =>
        Array.Find(sections, section => section.Type == type);

    private static ElfStringTable LinkedStringTable(in ElfReader reader, ElfSection[] sections, ElfSection table, ElfPart part)
    {
        if (table.Link >= (uint)sections.Length)
        {
            throw reader.Error($"{part} links to string table index {table.Link} out of range ({sections.Length} sections)");
        }

        ElfSection strings = sections[table.Link];
        var stringsPart = new ElfPart("section", strings.Index, strings.Name);
        return strings.Type == ElfSectionType.StrTab
            ? new ElfStringTable(strings.Data.Span, stringsPart)
            : throw reader.Error($"{part} links to {stringsPart}, which is not a string table (type 0x{(uint)strings.Type:x})");
    }

    private static ElfSymbol ReadSymbol(in ElfReader reader, ReadOnlySpan<byte> record, int index, ElfStringTable names, int sectionCount)
    {
        CheckSymbol(reader, record, index, names, sectionCount);
        string name = names.Read(reader, reader.U32(record, 0), new ElfPart("symbol", index));
        byte info = record[12];
        ushort sectionIndex = reader.U16(record, 14);
        return new ElfSymbol(
            Index: index,
            Name: name,
            Value: reader.U32(record, 4),
            Size: reader.U32(record, 8),
            Type: (ElfSymbolType)(info & 0xf),
            Binding: (ElfSymbolBinding)(info >> 4),
            SectionIndex: sectionIndex);
    }

    private static string? ReadInterpreter(in ElfReader reader, ElfProgramHeader[] programHeaders)
    {
        ElfProgramHeader? interp = Array.Find(programHeaders, header => header.Type == ElfSegmentType.Interp);
        if (interp is null)
        {
            return null;
        }

        ReadOnlySpan<byte> bytes = interp.Data.Span;
        int length = bytes.IndexOf((byte)0);
        return length >= 0
            ? Encoding.UTF8.GetString(bytes[..length])
            : throw reader.Error($"program header {interp.Index} (PT_INTERP): interpreter path is not NUL-terminated");
    }
}
