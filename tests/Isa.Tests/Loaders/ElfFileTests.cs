using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Tests.Loaders;

public sealed class ElfFileTests
{
    public static TheoryData<Endianness> ByteOrders => new() { Endianness.Little, Endianness.Big };

    [Theory]
    [MemberData(nameof(ByteOrders))]
    public void HeaderFieldsAreRead(Endianness endianness)
    {
        ElfBuilder builder = ElfBuilder.Sample(endianness);
        byte[] image = builder.Build();

        ElfFile elf = ElfFile.Parse(image, "sample.elf");

        Assert.Equal(ElfClass.Elf32, elf.Class);
        Assert.Equal(endianness, elf.Endianness);
        Assert.Equal(ElfType.Executable, elf.Type);
        Assert.Equal(ElfMachine.Mips, elf.Machine);
        Assert.Equal(0x7000_1007u, elf.Flags);
        Assert.Equal(builder.AddressOf(".text"), elf.Entry);
        Assert.Equal("/lib/ld.so.1", elf.Interpreter);
        Assert.Equal("sample.elf", elf.Path);
        Assert.True(elf.Image.Span.SequenceEqual(image));
    }

    [Theory]
    [MemberData(nameof(ByteOrders))]
    public void ProgramHeadersDescribeTheSegments(Endianness endianness)
    {
        ElfBuilder builder = ElfBuilder.Sample(endianness);
        byte[] image = builder.Build();

        IReadOnlyList<ElfProgramHeader> headers = ElfFile.Parse(image).ProgramHeaders;

        Assert.Equal(
            [ElfSegmentType.Phdr, ElfSegmentType.Interp, ElfSegmentType.Load, ElfSegmentType.Load, ElfSegmentType.GnuStack],
            headers.Select(header => header.Type));
        Assert.Equal(Enumerable.Range(0, 5), headers.Select(header => header.Index));

        ElfProgramHeader phdr = headers[0];
        Assert.Equal((ulong)builder.ProgramHeaderTableOffset, phdr.Offset);
        Assert.Equal(5ul * ElfBuilder.ProgramHeaderSize, phdr.FileSize);

        ElfProgramHeader text = headers[2];
        ulong textStart = (ulong)builder.OffsetOf(".interp");
        ulong textEnd = (ulong)builder.OffsetOf(".rodata") + 12;
        Assert.Equal(textStart, text.Offset);
        Assert.Equal(builder.AddressOf(".interp"), text.VirtualAddress);
        Assert.Equal(text.VirtualAddress, text.PhysicalAddress);
        Assert.Equal(textEnd - textStart, text.FileSize);
        Assert.Equal(text.FileSize, text.MemorySize);
        Assert.Equal(ElfSegmentFlags.Read | ElfSegmentFlags.Execute, text.Flags);
        Assert.Equal(0x1000ul, text.Align);
        Assert.True(text.Data.Span.SequenceEqual(image.AsSpan((int)textStart, (int)(textEnd - textStart))));

        ElfProgramHeader data = headers[3];
        Assert.Equal(16ul, data.FileSize);
        Assert.Equal(builder.AddressOf(".bss") + 0x100 - builder.AddressOf(".data"), data.MemorySize);
        Assert.Equal(ElfSegmentFlags.Read | ElfSegmentFlags.Write, data.Flags);

        ElfProgramHeader stack = headers[4];
        Assert.Equal(0ul, stack.FileSize);
        Assert.True(stack.Data.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(ByteOrders))]
    public void SectionsCarryTheirHeadersAndContents(Endianness endianness)
    {
        ElfBuilder builder = ElfBuilder.Sample(endianness);
        byte[] image = builder.Build();

        ElfFile elf = ElfFile.Parse(image);

        Assert.Equal(
            ["", ".interp", ".text", ".rodata", ".data", ".bss", ".comment", ".symtab", ".strtab", ".shstrtab"],
            elf.Sections.Select(section => section.Name));
        Assert.Equal(Enumerable.Range(0, elf.Sections.Count), elf.Sections.Select(section => section.Index));
        Assert.Equal(ElfSectionType.Null, elf.Sections[0].Type);

        ElfSection text = elf.FindSection(".text")!;
        Assert.Equal(ElfSectionType.ProgBits, text.Type);
        Assert.Equal(ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, text.Flags);
        Assert.Equal(builder.AddressOf(".text"), text.Address);
        Assert.Equal((ulong)builder.OffsetOf(".text"), text.Offset);
        Assert.Equal(64ul, text.Size);
        Assert.Equal(16ul, text.Alignment);
        Assert.Equal(ElfBuilder.Pattern(64, 0x10), text.Data.ToArray());

        ElfSection bss = elf.FindSection(".bss")!;
        Assert.Equal(ElfSectionType.NoBits, bss.Type);
        Assert.Equal(0x100ul, bss.Size);
        Assert.True(bss.Data.IsEmpty);

        ElfSection comment = elf.FindSection(".comment")!;
        Assert.Equal(ElfSectionFlags.Merge | ElfSectionFlags.Strings, comment.Flags);
        Assert.Equal(0ul, comment.Address);

        ElfSection symtab = elf.FindSection(".symtab")!;
        Assert.Equal(ElfSectionType.SymTab, symtab.Type);
        Assert.Equal((uint)builder.IndexOf(".strtab"), symtab.Link);
        Assert.Equal(5u, symtab.Info); // null symbol + 4 locals
        Assert.Equal(16ul, symtab.EntrySize);
        Assert.Null(elf.FindSection(".nothing"));
    }

    [Fact]
    public void ExecutableSectionsAreProgBitsWithExecInstr()
    {
        byte[] image = ElfBuilder.Sample(Endianness.Little)
            .AddSection(".init", ElfSectionType.NoBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, new byte[8])
            .Build();

        ElfFile elf = ElfFile.Parse(image);

        Assert.Equal([".text"], elf.ExecutableSections.Select(section => section.Name));
    }

    [Theory]
    [MemberData(nameof(ByteOrders))]
    public void SymbolsAreReadFromTheSymbolTable(Endianness endianness)
    {
        ElfBuilder builder = ElfBuilder.Sample(endianness);
        ElfFile elf = ElfFile.Parse(builder.Build());

        Assert.Equal(11, elf.Symbols.Count);
        Assert.Equal(new ElfSymbol(0, "", 0, 0, ElfSymbolType.NoType, ElfSymbolBinding.Local, 0), elf.Symbols[0]);
        Assert.Equal(
            ["", "sample.c", "helper", "loop", "$d", "__start", "weak_alias", "tail", "table", "counter", "printf"],
            elf.Symbols.Select(symbol => symbol.Name));

        ElfSymbol start = elf.FindSymbol("__start")!;
        Assert.Equal(builder.AddressOf(".text"), start.Value);
        Assert.Equal(16ul, start.Size);
        Assert.Equal(ElfSymbolType.Func, start.Type);
        Assert.Equal(ElfSymbolBinding.Global, start.Binding);
        Assert.Equal(builder.IndexOf(".text"), start.SectionIndex);
        Assert.Equal(builder.SymbolIndexOf("__start"), start.Index);

        ElfSymbol counter = elf.FindSymbol("counter")!;
        Assert.Equal(ElfSymbolType.Object, counter.Type);
        Assert.Equal(builder.AddressOf(".bss") + 4, counter.Value);

        ElfSymbol file = elf.FindSymbol("sample.c")!;
        Assert.Equal(ElfSymbolType.File, file.Type);
        Assert.Equal(0xfff1, file.SectionIndex);
        Assert.False(file.IsInSection);

        ElfSymbol printf = elf.FindSymbol("printf")!;
        Assert.Equal(0, printf.SectionIndex);
        Assert.Equal(ElfSymbolBinding.Weak, elf.FindSymbol("weak_alias")!.Binding);
        Assert.Null(elf.FindSymbol("missing"));
    }

    [Fact]
    public void FindSymbolPrefersADefinition()
    {
        byte[] image = new ElfBuilder(Endianness.Little)
            .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, new byte[8])
            .AddSymbol("f", null, 0, 0, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .AddSymbol("f", ".text", 4, 4, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .Build();

        Assert.Equal(2, ElfFile.Parse(image).FindSymbol("f")!.Index);
    }

    [Fact]
    public void DynamicSymbolsAreUsedWhenThereIsNoSymtab()
    {
        var builder = new ElfBuilder(Endianness.Big) { DynamicSymbols = true, Type = ElfType.SharedObject };
        byte[] image = builder.AddSampleContents().Build();

        ElfFile elf = ElfFile.Parse(image);

        Assert.Null(elf.FindSection(".symtab"));
        Assert.Equal(ElfSectionType.DynSym, elf.FindSection(".dynsym")!.Type);
        Assert.Equal(ElfType.SharedObject, elf.Type);
        Assert.Equal(builder.SymbolValue("tail"), elf.FindSymbol("tail")!.Value);
        Assert.Equal(0ul, elf.Entry);
    }

    [Theory]
    [MemberData(nameof(ByteOrders))]
    public void SymbolAtGivesTheNearestPrecedingLabel(Endianness endianness)
    {
        ElfBuilder builder = ElfBuilder.Sample(endianness);
        ElfFile elf = ElfFile.Parse(builder.Build());
        uint text = builder.AddressOf(".text");

        Assert.Equal(("__start", 0ul), Label(elf, text));
        Assert.Equal(("__start", 12ul), Label(elf, text + 12));
        Assert.Equal(("helper", 4ul), Label(elf, text + 20));
        Assert.Equal(("loop", 4ul), Label(elf, text + 28));
        Assert.Equal(("loop", 12ul), Label(elf, text + 36)); // "$d" is a mapping symbol, not a label
        Assert.Equal(("tail", 4ul), Label(elf, text + 52)); // global beats weak at one address
        Assert.Equal((null, 0ul), Label(elf, text + 64)); // past .text
        Assert.Equal((null, 0ul), Label(elf, builder.AddressOf(".rodata"))); // only an object there
        Assert.Equal((null, 0ul), Label(elf, 0x10));
    }

    [Fact]
    public void SymbolAtInARelocatableFileUsesTheGivenSection()
    {
        var builder = new ElfBuilder(Endianness.Little) { Type = ElfType.Relocatable };
        byte[] image = builder
            .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, new byte[16])
            .AddSection(".text.other", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, new byte[16])
            .AddSymbol("first", ".text", 0, 16, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .AddSymbol("second", ".text.other", 4, 8, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .Build();
        ElfFile elf = ElfFile.Parse(image);
        ElfSection other = elf.FindSection(".text.other")!;

        Assert.Equal(0ul, other.Address);
        Assert.Equal("second", elf.SymbolAt(other, 8, out ulong offset));
        Assert.Equal(4ul, offset);
        Assert.Null(elf.SymbolAt(other, 2, out _));
        Assert.Equal("first", elf.SymbolAt(elf.FindSection(".text")!, 8, out _));
    }

    [Fact]
    public void ExtendedSectionNumberingIsFollowed()
    {
        ElfBuilder builder = ElfBuilder.Sample(Endianness.Little);
        byte[] image = builder.Build();
        int sectionZero = builder.SectionHeaderTableOffset;
        builder.Put16(image, ElfBuilder.EShNum, 0);
        builder.Put32(image, sectionZero + ElfBuilder.ShSize, (uint)builder.SectionCount);
        builder.Put16(image, ElfBuilder.EShStrNdx, 0xffff);
        builder.Put32(image, sectionZero + ElfBuilder.ShLink, (uint)builder.IndexOf(".shstrtab"));
        builder.Put16(image, ElfBuilder.EPhNum, 0xffff);
        builder.Put32(image, sectionZero + ElfBuilder.ShInfo, 5);

        ElfFile elf = ElfFile.Parse(image);

        Assert.Equal(builder.SectionCount, elf.Sections.Count);
        Assert.Equal(".text", elf.Sections[builder.IndexOf(".text")].Name);
        Assert.Equal(5, elf.ProgramHeaders.Count);
    }

    [Fact]
    public void SectionsAreUnnamedWithoutANameTable()
    {
        ElfBuilder builder = ElfBuilder.Sample(Endianness.Little);
        byte[] image = builder.Build();
        builder.Put16(image, ElfBuilder.EShStrNdx, 0);

        ElfFile elf = ElfFile.Parse(image);

        Assert.All(elf.Sections, section => Assert.Equal("", section.Name));
        Assert.Equal("__start", elf.FindSymbol("__start")!.Name);
    }

    [Fact]
    public void FileWithoutSectionsOrSegmentsParses()
    {
        byte[] image = new ElfBuilder(Endianness.Little).Build();
        image.AsSpan(ElfBuilder.EShOff, 4).Clear();
        image.AsSpan(ElfBuilder.EShNum, 4).Clear();

        ElfFile elf = ElfFile.Parse(image);

        Assert.Empty(elf.Sections);
        Assert.Empty(elf.ProgramHeaders);
        Assert.Empty(elf.Symbols);
        Assert.Null(elf.Interpreter);
        Assert.Null(elf.SymbolAt(0, out _));
    }

    [Fact]
    public void LoadReadsTheFileAndRemembersItsPath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"isa-elf-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(path, ElfBuilder.Sample(Endianness.Big).Build());
        try
        {
            ElfFile elf = ElfFile.Load(path);
            Assert.Equal(path, elf.Path);
            Assert.Equal(Endianness.Big, elf.Endianness);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(ElfMachine.Mips, "MIPS")]
    [InlineData(ElfMachine.RiscV, "RISC-V")]
    [InlineData(ElfMachine.X86_64, "x86-64")]
    [InlineData(ElfMachine.Arm, "ARM")]
    [InlineData(ElfMachine.AArch64, "AArch64")]
    [InlineData(ElfMachine.X86, "x86")]
    [InlineData(ElfMachine.PowerPC, "PowerPC")]
    [InlineData((ushort)9999, "unknown machine 9999")]
    public void MachineNamesAreReadable(ushort machine, string name) => Assert.Equal(name, ElfFile.MachineName(machine));

    private static (string? Name, ulong Offset) Label(ElfFile elf, ulong address)
    {
        string? name = elf.SymbolAt(address, out ulong offset);
        return (name, offset);
    }
}
