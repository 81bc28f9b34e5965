using Isa.Runtime.Memory;
using Microsoft.Win32.SafeHandles;

namespace Isa.Tests.Memory;

public sealed class GuestMemoryTests
{
    [Fact]
    public void MappedPagesReadBackWhatWasWritten()
    {
        using var memory = new GuestMemory();
        memory.Map(0x1000_0000, 0x2000, MemoryPermissions.ReadWrite);
        memory.Write32(0x1000_0ffe, 0xdeadbeef); // straddles two pages
        Assert.Equal(0xdeadbeefu, memory.Read32(0x1000_0ffe));
        Assert.Equal((byte)0xef, memory.Read8(0x1000_0ffe));
        Assert.Equal(0u, memory.Read32(0x1000_1ffc));
    }

    [Fact]
    public void UnmappedAndProtectedAccessesFaultWithTheAddress()
    {
        using var memory = new GuestMemory();
        memory.Map(0x2000, 0x1000, MemoryPermissions.Read);
        GuestFaultException read = Assert.Throws<GuestFaultException>(() => memory.Read32(0x5000));
        Assert.Equal(0x5000u, read.Address);
        GuestFaultException write = Assert.Throws<GuestFaultException>(() => memory.Write8(0x2004, 1));
        Assert.Equal(MemoryPermissions.Write, write.Access);
        GuestFaultException straddle = Assert.Throws<GuestFaultException>(() => memory.Read32(0x2ffe));
        Assert.Equal(0x3000u, straddle.Address);
        Assert.Throws<GuestFaultException>(() => memory.Fetch32(0x2000));
    }

    [Fact]
    public void AccessesWrapAtTheTopOfTheWindow()
    {
        using var memory = new GuestMemory();
        memory.Map(0xffff_f000, 0x1000, MemoryPermissions.ReadWrite);
        memory.Map(0, 0x1000, MemoryPermissions.ReadWrite);
        memory.Write32(0xffff_fffe, 0x11223344);
        Assert.Equal((byte)0x22, memory.Read8(0));
        Assert.Equal(0x11223344u, memory.Read32(0xffff_fffe));
    }

    [Fact]
    public void UnmapDropsContentsAndProtectKeepsThem()
    {
        using var memory = new GuestMemory();
        memory.Map(0x8000, 0x1000, MemoryPermissions.ReadWrite);
        memory.Write32(0x8000, 7);
        memory.Protect(0x8000, 0x1000, MemoryPermissions.Read);
        Assert.Equal(7u, memory.Read32(0x8000));
        memory.Poke(0x8000, [9, 0, 0, 0]);
        Assert.Equal(9u, memory.Read32(0x8000));
        memory.Unmap(0x8000, 0x1000);
        Assert.False(memory.IsMapped(0x8000));
        memory.Map(0x8000, 0x1000, MemoryPermissions.ReadWrite);
        Assert.Equal(0u, memory.Read32(0x8000));
    }

    [Fact]
    public void CompareExchangeIsAtomicAcrossThreads()
    {
        using var memory = new GuestMemory();
        memory.Map(0x1000, 0x1000, MemoryPermissions.ReadWrite);
        const int Threads = 4, Increments = 20_000;
        var workers = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            for (int i = 0; i < Increments; i++)
            {
                uint seen;
                do
                {
                    seen = memory.Read32(0x1008);
                }
                while (!memory.CompareExchange32(0x1008, seen, seen + 1));
            }
        })).ToList();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        Assert.Equal((uint)(Threads * Increments), memory.Read32(0x1008));
        Assert.False(memory.CompareExchange32(0x1008, 7, 8));
        Assert.Equal((uint)(Threads * Increments), memory.Read32(0x1008));
    }

    [Fact]
    public void CompareExchangeNeedsReadAndWritePermission()
    {
        using var memory = new GuestMemory();
        memory.Map(0x2000, 0x1000, MemoryPermissions.Read);
        GuestFaultException readOnly = Assert.Throws<GuestFaultException>(() => memory.CompareExchange32(0x2000, 0, 1));
        Assert.Equal(MemoryPermissions.Write, readOnly.Access);
        GuestFaultException unmapped = Assert.Throws<GuestFaultException>(() => memory.CompareExchange32(0x5000, 0, 1));
        Assert.Equal(0x5000u, unmapped.Address);
    }

    [Fact]
    public void FileMappedPagesAreAPrivateCopyOfTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"isa-map-{Guid.NewGuid():N}");
        byte[] contents = Enumerable.Range(0, 0x2800).Select(i => (byte)(i * 7)).ToArray();
        File.WriteAllBytes(path, contents);
        try
        {
            using var memory = new GuestMemory();
            using (SafeFileHandle file = File.OpenHandle(path))
            {
                // From offset 0x1000: one whole page of the file, then half a page and zeros past its end.
                Assert.True(memory.TryMapFile(0x10_0000, 0x2000, file, 0x1000, MemoryPermissions.ReadWrite));
            }

            var seen = new byte[0x2000];
            memory.Read(0x10_0000, seen);
            Assert.Equal(contents[0x1000..], seen[..0x1800]);
            Assert.All(seen[0x1800..], b => Assert.Equal(0, b));
            Assert.Equal(MemoryPermissions.ReadWrite, memory.PermissionsAt(0x10_1000));

            memory.Write32(0x10_0000, 0xdeadbeef);
            Assert.Equal(0xdeadbeefu, memory.Read32(0x10_0000));
            Assert.Equal(contents, File.ReadAllBytes(path));

            memory.Protect(0x10_0000, 0x1000, MemoryPermissions.Read);
            Assert.Throws<GuestFaultException>(() => memory.Write8(0x10_0000, 1));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FileMappingsNeedAlignedUnmappedPages()
    {
        string path = Path.Combine(Path.GetTempPath(), $"isa-map-{Guid.NewGuid():N}");
        File.WriteAllBytes(path, new byte[0x2000]);
        try
        {
            using var memory = new GuestMemory();
            using SafeFileHandle file = File.OpenHandle(path);
            memory.Map(0x3000, 0x1000, MemoryPermissions.Read);
            Assert.Throws<InvalidOperationException>(() => memory.TryMapFile(0x2000, 0x2000, file, 0, MemoryPermissions.Read));
            Assert.Throws<ArgumentException>(() => memory.TryMapFile(0x8010, 0x1000, file, 0, MemoryPermissions.Read));
            Assert.Throws<ArgumentException>(() => memory.TryMapFile(0x8000, 0x1000, file, 0x10, MemoryPermissions.Read));
            Assert.False(memory.TryMapFile(0x8000, 0x3000, file, 0, MemoryPermissions.Read)); // a page past the end of the file
            Assert.False(memory.TryMapFile(0x8000, 0x1000, file, 0x2000, MemoryPermissions.Read));
            Assert.False(memory.IsMapped(0x2000));
            Assert.False(memory.IsMapped(0x8000));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
