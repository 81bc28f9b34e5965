using Isa.Guests.Mips32;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux;
using Isa.Runtime.Linux.Abi;
using Isa.Runtime.Loaders.Elf;
using Isa.Runtime.Memory;

namespace Isa.Tests.Loaders;

/// <summary>
/// The Linux loader puts PT_LOAD segments into guest memory the same way whether the ELF was read
/// into memory (<see cref="ElfFile.Parse"/>: copied) or mapped from its file (<see cref="ElfFile.Load"/>:
/// file pages mapped copy-on-write where offset and address agree, copied elsewhere): the file's
/// bytes, a zeroed bss, the segment's permissions, and the file never written.
/// </summary>
public sealed class ElfProgramLoaderTests : IDisposable
{
    private const uint Base = 0x0040_0000;

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"isa-loader-{Guid.NewGuid():N}.elf");

    public void Dispose() => File.Delete(_path);

    /// <summary>
    /// Text of 2.5 pages from offset 0x80, then data of 1.5 pages sharing text's last page, then a
    /// bss of 3 pages: the data segment has a page the text mapped, file pages, a bss zeroed from
    /// mid-page, and zero pages. Symbols and section names follow the data in the file (not zero).
    /// </summary>
    private static ElfBuilder Layout() => new ElfBuilder(Endianness.Little) { BaseAddress = Base, EntrySymbol = "_start" }
        .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, ElfBuilder.Pattern(0x2800, 0x11), alignment: 16)
        .AddSection(".data", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, ElfBuilder.Pattern(0x1800, 0x77))
        .AddSection(".bss", ElfSectionType.NoBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, new byte[0x3000])
        .AddSymbol("_start", ".text", 0, 4, ElfSymbolType.Func, ElfSymbolBinding.Global)
        .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, ".text")
        .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Write, ".data", ".bss");

    [Fact]
    public void MappedAndCopiedLoadsHoldTheSegmentsAndAZeroBss()
    {
        ElfBuilder builder = Layout();
        byte[] image = builder.Build();
        File.WriteAllBytes(_path, image);
        using ElfFile mapped = ElfFile.Load(_path);
        ElfFile copied = ElfFile.Parse(image, _path);
        using GuestProcess fromFile = Load(mapped);
        using GuestProcess fromImage = Load(copied);

        Assert.True(MapsFileAt(fromFile.Memory.WindowBase + (nint)Base, _path), "the text segment is not the file mapped into the guest window");
        Assert.False(MapsFileAt(fromImage.Memory.WindowBase + (nint)Base, _path));
        foreach (GuestProcess process in new[] { fromFile, fromImage })
        {
            ExpectSegments(process.Memory, mapped);
            Assert.Equal(MemoryPermissions.Read | MemoryPermissions.Execute, process.Memory.PermissionsAt(Base));
            Assert.Equal(MemoryPermissions.ReadWrite, process.Memory.PermissionsAt(builder.AddressOf(".bss") + 0x2000));
        }

        // The shared page holds the end of the text and the start of the data, with both permissions.
        uint data = builder.AddressOf(".data");
        Assert.Equal(MemoryPermissions.All, fromFile.Memory.PermissionsAt(data));
        Assert.Equal(mapped.Image.Span[builder.OffsetOf(".data") - 1], Read(fromFile.Memory, data - 1, 1)[0]);
    }

    [Fact]
    public void MappedPagesShowTheFileAroundTheSegmentAsTheKernelDoes()
    {
        File.WriteAllBytes(_path, Layout().Build());
        using ElfFile mapped = ElfFile.Load(_path);
        using GuestProcess process = Load(mapped);

        // The text segment starts at offset 0x80; its page shows the ELF header before it, as under Linux.
        Assert.Equal("\x7f" + "ELF", System.Text.Encoding.ASCII.GetString(Read(process.Memory, Base, 4)));
    }

    [Fact]
    public void GuestWritesStayInTheGuest()
    {
        ElfBuilder builder = Layout();
        byte[] image = builder.Build();
        File.WriteAllBytes(_path, image);
        using (ElfFile mapped = ElfFile.Load(_path))
        using (GuestProcess process = Load(mapped))
        {
            uint data = builder.AddressOf(".data") + 0x1000; // a page mapped from the file
            process.Memory.Write32(data, 0xdeadbeef);
            process.Memory.Poke(Base + 0x100, [1, 2, 3, 4]); // read-only text, as a debugger would
            Assert.Equal(0xdeadbeefu, process.Memory.Read32(data));
        }

        Assert.Equal(image, File.ReadAllBytes(_path));
    }

    [Fact]
    public void TheLoadedGuestOutlivesTheDisposedFile()
    {
        ElfBuilder builder = Layout();
        File.WriteAllBytes(_path, builder.Build());
        ElfFile mapped = ElfFile.Load(_path);
        using GuestProcess process = Load(mapped);
        mapped.Dispose();

        Assert.Throws<ObjectDisposedException>(() => mapped.Image.Span[0]);
        Assert.Equal(ElfBuilder.Pattern(16, 0x11), Read(process.Memory, builder.AddressOf(".text"), 16));
    }

    [Fact]
    public void SegmentWhoseOffsetDisagreesWithItsAddressIsCopied()
    {
        ElfBuilder builder = Layout();
        byte[] image = builder.Build();
        // Move the data segment 4 bytes up in memory: offset and address no longer agree modulo the page size.
        int header = builder.ProgramHeaderOffset(1);
        builder.Put32(image, header + ElfBuilder.PVAddr, builder.AddressOf(".data") + 0x10004);
        File.WriteAllBytes(_path, image);
        using ElfFile mapped = ElfFile.Load(_path);
        using GuestProcess process = Load(mapped);

        ExpectSegments(process.Memory, mapped);
    }

    [Fact]
    public void SegmentWithoutFileBytesIsAllZero()
    {
        var builder = new ElfBuilder(Endianness.Little) { BaseAddress = Base, EntrySymbol = "_start" }
            .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, ElfBuilder.Pattern(0x20, 1), alignment: 16)
            .AddSection(".bss", ElfSectionType.NoBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, new byte[0x1800], alignment: 0x1000)
            .AddSymbol("_start", ".text", 0, 4, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, ".text")
            .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Write, ".bss");
        File.WriteAllBytes(_path, builder.Build());
        using ElfFile mapped = ElfFile.Load(_path);
        using GuestProcess process = Load(mapped);

        ExpectSegments(process.Memory, mapped);
    }

    [Fact]
    public void BssInAPageTheTextMappedIsZero()
    {
        // Text, data and the start of the bss share one page: the text maps it from the file, which
        // holds the symbol table where the bss goes.
        var builder = new ElfBuilder(Endianness.Little) { BaseAddress = Base, EntrySymbol = "_start" }
            .AddSection(".text", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.ExecInstr, ElfBuilder.Pattern(0x100, 1), alignment: 16)
            .AddSection(".data", ElfSectionType.ProgBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, ElfBuilder.Pattern(0x20, 0x40))
            .AddSection(".bss", ElfSectionType.NoBits, ElfSectionFlags.Alloc | ElfSectionFlags.Write, new byte[0x1200])
            .AddSymbol("_start", ".text", 0, 4, ElfSymbolType.Func, ElfSymbolBinding.Global)
            .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Execute, ".text")
            .AddSegment(ElfSegmentType.Load, ElfSegmentFlags.Read | ElfSegmentFlags.Write, ".data", ".bss");
        byte[] image = builder.Build();
        File.WriteAllBytes(_path, image);
        int bss = builder.OffsetOf(".data") + 0x20;
        Assert.Contains(image[bss..Math.Min(image.Length, 0x1000)], b => b != 0); // what the file holds where the bss goes
        using ElfFile mapped = ElfFile.Load(_path);
        using GuestProcess process = Load(mapped);

        ExpectSegments(process.Memory, mapped);
    }

    [Fact]
    public void TruncatedFilesAreRejectedThroughTheMapping()
    {
        ElfBuilder builder = Layout();
        byte[] image = builder.Build();
        File.WriteAllBytes(_path, image[..(builder.OffsetOf(".data") + 0x10)]);
        ElfFormatException truncated = Assert.Throws<ElfFormatException>(() => ElfFile.Load(_path));
        Assert.Contains("truncated", truncated.Message);
        Assert.Contains(_path, truncated.Message);

        // A segment claiming more file bytes than the file has.
        builder.Put32(image, builder.ProgramHeaderOffset(1) + ElfBuilder.PFileSz, 0x10_0000);
        builder.Put32(image, builder.ProgramHeaderOffset(1) + ElfBuilder.PMemSz, 0x10_0000);
        File.WriteAllBytes(_path, image);
        Assert.Contains("segment 1", Assert.Throws<ElfFormatException>(() => ElfFile.Load(_path)).Message);

        File.WriteAllBytes(_path, []);
        Assert.Contains("empty", Assert.Throws<ElfFormatException>(() => ElfFile.Load(_path)).Message);
        File.WriteAllBytes(_path, image[..10]);
        Assert.Contains("truncated", Assert.Throws<ElfFormatException>(() => ElfFile.Load(_path)).Message);
    }

    private static GuestProcess Load(ElfFile file)
    {
        GuestIsa isa = Mips32Isa.Mips32el;
        var process = new GuestProcess(isa, new MipsO32Abi(isa), "/bin/test", sysroot: null);
        ElfProgramLoader.Load(process, isa.CreateCpu(process.Memory), file, ["test"], []);
        return process;
    }

    /// <summary>Each PT_LOAD segment's file bytes at its address, then zeros to its memory size.</summary>
    private static void ExpectSegments(GuestMemory memory, ElfFile file)
    {
        foreach (ElfProgramHeader segment in file.ProgramHeaders.Where(p => p.Type == ElfSegmentType.Load))
        {
            byte[] expected = new byte[segment.MemorySize];
            segment.Data.Span.CopyTo(expected);
            Assert.Equal(expected, Read(memory, (uint)segment.VirtualAddress, expected.Length));
        }
    }

    /// <summary>Whether the host mapping that starts at <paramref name="address"/> is of <paramref name="path"/> (/proc/self/maps).</summary>
    private static bool MapsFileAt(nint address, string path) => File.ReadLines("/proc/self/maps").Any(line =>
        line.StartsWith($"{address:x}-", StringComparison.Ordinal) && line.EndsWith(" " + path, StringComparison.Ordinal));

    private static byte[] Read(GuestMemory memory, uint address, int length)
    {
        var bytes = new byte[length];
        memory.Peek(address, bytes);
        return bytes;
    }
}
