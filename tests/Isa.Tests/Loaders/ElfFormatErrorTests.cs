using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Tests.Loaders;

/// <summary>Specific corruptions of a valid image, each with the exact error it must produce.</summary>
public sealed class ElfFormatErrorTests
{
    private readonly ElfBuilder _builder = ElfBuilder.Sample(Endianness.Little);
    private readonly byte[] _image;

    public ElfFormatErrorTests() => _image = _builder.Build();

    private int FileSize => _image.Length;

    [Fact]
    public void BadMagic()
    {
        _image[1] = (byte)'X';
        AssertError("not an ELF file (bad magic)");
    }

    [Fact]
    public void EmptyFile() => AssertError("not an ELF file (empty)", []);

    [Fact]
    public void TruncatedIdentification() =>
        AssertError("truncated: ELF identification at offset 0x0 (0x10 bytes) extends past the end of the file (size 0x3)", _image[..3]);

    [Fact]
    public void TruncatedHeader() =>
        AssertError("truncated: ELF header at offset 0x0 (0x34 bytes) extends past the end of the file (size 0x1e)", _image[..30]);

    [Fact]
    public void SixtyFourBitClass()
    {
        _image[4] = 2;
        AssertError("64-bit ELF is not supported");
    }

    [Fact]
    public void InvalidClass()
    {
        _image[4] = 7;
        AssertError("invalid ELF class 7 (expected 1 = 32-bit or 2 = 64-bit)");
    }

    [Fact]
    public void BadDataEncoding()
    {
        _image[5] = 3;
        AssertError("invalid data encoding 3 (expected 1 = little-endian or 2 = big-endian)");
    }

    [Fact]
    public void BadVersion()
    {
        _image[6] = 0;
        AssertError("unsupported ELF version 0 (expected 1)");
    }

    [Fact]
    public void SectionHeaderTablePastTheEnd()
    {
        int offset = FileSize - ElfBuilder.SectionHeaderSize;
        _builder.Put32(_image, ElfBuilder.EShOff, (uint)offset);
        AssertError($"truncated: section header 1 at offset 0x{offset + 0x28:x} (0x28 bytes) extends past the end of the file (size 0x{FileSize:x})");
    }

    [Fact]
    public void SectionHeaderTableOffsetBeyondTheFile()
    {
        _builder.Put32(_image, ElfBuilder.EShOff, 0x8000_0000);
        AssertError($"truncated: section header 0 at offset 0x80000000 (0x28 bytes) extends past the end of the file (size 0x{FileSize:x})");
    }

    [Fact]
    public void HugeExtendedSectionCount()
    {
        _builder.Put16(_image, ElfBuilder.EShNum, 0);
        _builder.Put32(_image, _builder.SectionHeaderTableOffset + ElfBuilder.ShSize, 0xffff_ffff);
        int firstMissing = (FileSize - _builder.SectionHeaderTableOffset) / ElfBuilder.SectionHeaderSize;
        int offset = _builder.SectionHeaderTableOffset + (firstMissing * ElfBuilder.SectionHeaderSize);
        AssertError($"truncated: section header {firstMissing} at offset 0x{offset:x} (0x28 bytes) extends past the end of the file (size 0x{FileSize:x})");
    }

    [Fact]
    public void SectionCountWithoutTable()
    {
        _builder.Put32(_image, ElfBuilder.EShOff, 0);
        AssertError($"{_builder.SectionCount} section headers declared but the section header table offset is 0");
    }

    [Fact]
    public void BadSectionHeaderEntrySize()
    {
        _builder.Put16(_image, ElfBuilder.EShEntSize, 0x40);
        AssertError("bad section header entry size 0x40 (expected 0x28 for ELF32)");
    }

    [Fact]
    public void SectionNameTableIndexOutOfRange()
    {
        _builder.Put16(_image, ElfBuilder.EShStrNdx, 40);
        AssertError($"section name string table index 40 out of range ({_builder.SectionCount} sections)");
    }

    [Fact]
    public void SectionNameTableOfTheWrongType()
    {
        _builder.Put16(_image, ElfBuilder.EShStrNdx, (ushort)_builder.IndexOf(".text"));
        AssertError($"section name string table {_builder.IndexOf(".text")} has type 0x1, not SHT_STRTAB");
    }

    [Fact]
    public void SectionNameOffsetOutOfRange()
    {
        _builder.Put32(_image, _builder.SectionHeaderOffset(".data") + ElfBuilder.ShName, 0x1234);
        int names = _builder.IndexOf(".shstrtab");
        AssertError($"section {_builder.IndexOf(".data")} name offset 0x1234 out of range (section name string table {names} size 0x{SectionSize(".shstrtab"):x})");
    }

    [Fact]
    public void SectionNameWithoutNul()
    {
        int lastByte = _builder.OffsetOf(".shstrtab") + SectionSize(".shstrtab") - 1;
        _image[lastByte] = (byte)'x';
        Assert.EndsWith("is not NUL-terminated", Parse().Message);
    }

    [Fact]
    public void SectionContentsPastTheEnd()
    {
        _builder.Put32(_image, _builder.SectionHeaderOffset(".text") + ElfBuilder.ShSize, 0xffff_ffff);
        AssertError($"truncated: section {_builder.IndexOf(".text")} (.text) at offset 0x{_builder.OffsetOf(".text"):x} (0xffffffff bytes) extends past the end of the file (size 0x{FileSize:x})");
    }

    [Fact]
    public void NoBitsSectionsMayBeLargerThanTheFile()
    {
        _builder.Put32(_image, _builder.SectionHeaderOffset(".bss") + ElfBuilder.ShSize, 0x0fff_ffff);
        Assert.Equal(0x0fff_fffful, ElfFile.Parse(_image).FindSection(".bss")!.Size);
    }

    [Fact]
    public void HugeProgramHeaderCount()
    {
        _builder.Put16(_image, ElfBuilder.EPhNum, 0xfffe);
        int firstMissing = (FileSize - ElfBuilder.HeaderSize) / ElfBuilder.ProgramHeaderSize;
        int offset = ElfBuilder.HeaderSize + (firstMissing * ElfBuilder.ProgramHeaderSize);
        AssertError($"truncated: program header {firstMissing} at offset 0x{offset:x} (0x20 bytes) extends past the end of the file (size 0x{FileSize:x})");
    }

    [Fact]
    public void HugeExtendedProgramHeaderCount()
    {
        _builder.Put16(_image, ElfBuilder.EPhNum, 0xffff);
        _builder.Put32(_image, _builder.SectionHeaderTableOffset + ElfBuilder.ShInfo, 0x7fff_ffff);
        Assert.StartsWith("truncated: program header ", Parse().Message);
    }

    [Fact]
    public void BadProgramHeaderEntrySize()
    {
        _builder.Put16(_image, ElfBuilder.EPhEntSize, 0x38);
        AssertError("bad program header entry size 0x38 (expected 0x20 for ELF32)");
    }

    [Fact]
    public void ProgramHeaderCountWithoutTable()
    {
        _builder.Put32(_image, ElfBuilder.EPhOff, 0);
        AssertError("5 program headers declared but the program header table offset is 0");
    }

    [Fact]
    public void SegmentPastTheEnd()
    {
        _builder.Put32(_image, _builder.ProgramHeaderOffset(3) + ElfBuilder.POffset, (uint)FileSize - 4);
        AssertError($"truncated: segment 3 at offset 0x{FileSize - 4:x} (0x10 bytes) extends past the end of the file (size 0x{FileSize:x})");
    }

    [Fact]
    public void LoadSegmentLargerInFileThanInMemory()
    {
        _builder.Put32(_image, _builder.ProgramHeaderOffset(3) + ElfBuilder.PMemSz, 8);
        AssertError("program header 3 (PT_LOAD): file size 0x10 exceeds memory size 0x8");
    }

    [Fact]
    public void LoadSegmentPastTheAddressSpace()
    {
        _builder.Put32(_image, _builder.ProgramHeaderOffset(3) + ElfBuilder.PVAddr, 0xffff_fff0);
        AssertError($"program header 3 (PT_LOAD): 0x{_builder.AddressOf(".bss") + 0x100 - _builder.AddressOf(".data"):x} bytes at 0xfffffff0 extend past the 32-bit address space");
    }

    [Fact]
    public void InterpreterWithoutNul()
    {
        _builder.Put32(_image, _builder.ProgramHeaderOffset(1) + ElfBuilder.PFileSz, 12);
        AssertError("program header 1 (PT_INTERP): interpreter path is not NUL-terminated");
    }

    [Fact]
    public void SymbolNameOffsetOutOfRange()
    {
        _builder.Put32(_image, _builder.SymbolEntryOffset("__start") + ElfBuilder.StName, 0x7fff);
        int strtab = _builder.IndexOf(".strtab");
        AssertError($"symbol {_builder.SymbolIndexOf("__start")} name offset 0x7fff out of range (section {strtab} (.strtab) size 0x{SectionSize(".strtab"):x})");
    }

    [Fact]
    public void SymbolSectionIndexOutOfRange()
    {
        _builder.Put16(_image, _builder.SymbolEntryOffset("table") + ElfBuilder.StShndx, 200);
        AssertError($"symbol {_builder.SymbolIndexOf("table")} (table) section index 200 out of range ({_builder.SectionCount} sections)");
    }

    [Fact]
    public void BadSymbolEntrySize()
    {
        _builder.Put32(_image, _builder.SectionHeaderOffset(".symtab") + ElfBuilder.ShEntSize, 24);
        AssertError($"section {_builder.IndexOf(".symtab")} (.symtab) has entry size 0x18 (expected 0x10 for ELF32 symbols)");
    }

    [Fact]
    public void SymbolTableSizeNotAMultipleOfTheEntrySize()
    {
        _builder.Put32(_image, _builder.SectionHeaderOffset(".symtab") + ElfBuilder.ShSize, 20);
        AssertError($"section {_builder.IndexOf(".symtab")} (.symtab) size 0x14 is not a multiple of the symbol size 0x10");
    }

    [Fact]
    public void SymbolStringTableLinkOutOfRange()
    {
        _builder.Put32(_image, _builder.SectionHeaderOffset(".symtab") + ElfBuilder.ShLink, 99);
        AssertError($"section {_builder.IndexOf(".symtab")} (.symtab) links to string table index 99 out of range ({_builder.SectionCount} sections)");
    }

    [Fact]
    public void SymbolStringTableLinkToANonStringTable()
    {
        int text = _builder.IndexOf(".text");
        _builder.Put32(_image, _builder.SectionHeaderOffset(".symtab") + ElfBuilder.ShLink, (uint)text);
        AssertError($"section {_builder.IndexOf(".symtab")} (.symtab) links to section {text} (.text), which is not a string table (type 0x1)");
    }

    [Fact]
    public void MessagesNameTheFile()
    {
        _image[0] = 0;
        ElfFormatException error = Assert.Throws<ElfFormatException>(() => ElfFile.Parse(_image, "/bin/true"));
        Assert.Equal("/bin/true: not an ELF file (bad magic)", error.Message);
        Assert.Equal("/bin/true", error.Path);
        Assert.Equal("not an ELF file (bad magic)", error.Problem);
    }

    [Fact]
    public void UnreadableFilesAreFormatErrorsWithTheCause()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"isa-missing-{Guid.NewGuid():N}");
        ElfFormatException error = Assert.Throws<ElfFormatException>(() => ElfFile.Load(missing));
        Assert.StartsWith($"cannot read {missing}: ", error.Message);
        Assert.IsType<FileNotFoundException>(error.InnerException);

        ElfFormatException directory = Assert.Throws<ElfFormatException>(() => ElfFile.Load(Path.GetTempPath()));
        Assert.StartsWith($"cannot read {Path.GetTempPath()}: ", directory.Message);
    }

    private int SectionSize(string name) =>
        (int)ElfFile.Parse(_builder.Build()).FindSection(name)!.Size;

    private ElfFormatException Parse(byte[]? image = null) =>
        Assert.Throws<ElfFormatException>(() => ElfFile.Parse(image ?? _image));

    private void AssertError(string expected, byte[]? image = null) => Assert.Equal(expected, Parse(image).Message);
}
