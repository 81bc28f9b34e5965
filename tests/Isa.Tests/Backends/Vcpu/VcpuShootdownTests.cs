using Isa.Backends.Jit;
using Isa.Backends.Vcpu;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>
/// When the vCPU address space asks for a TLB shootdown: only when window pages lose access (unmapped, made
/// read-only, write-protected as watched code), not when they gain it, and after its page tables show the change.
/// </summary>
public sealed class VcpuShootdownTests : IDisposable
{
    private const ulong Page = GuestMemory.PageSize;
    private readonly GuestMemory _memory = new();
    private readonly CodeBuffer _code = new(1 << 20); // an engine's code space: the host maps it
    private readonly VcpuAddressSpace _space;
    private readonly List<long> _shootdowns = [];

    public VcpuShootdownTests()
    {
        _memory.Map(0x1_0000, 4 * Page, MemoryPermissions.ReadWrite);
        _space = new VcpuAddressSpace(new RecordingHypervisor(), _memory, _code, VcpuStubs.Create(_code));
        _space.AccessReduced += _shootdowns.Add;
    }

    public void Dispose()
    {
        _space.Dispose();
        _memory.Dispose();
        _code.Dispose();
    }

    [Fact]
    public void GainingAccessNeedsNoShootdown()
    {
        long before = _space.Generation;
        _memory.Map(0x8_0000, Page, MemoryPermissions.Read);
        _memory.Protect(0x8_0000, Page, MemoryPermissions.ReadWrite);
        _memory.Map(0x9_0000, Page, MemoryPermissions.ReadWrite);

        Assert.Empty(_shootdowns);
        Assert.True(_space.Generation > before); // the entries changed: processors still flush at their next entry
    }

    [Fact]
    public void UnmappingShootsDownOnce()
    {
        long before = _space.Generation;
        _memory.Unmap(0x1_0000, Page);

        long shootdown = Assert.Single(_shootdowns);
        Assert.InRange(shootdown, before + 1, _space.Generation);
    }

    [Fact]
    public void MakingPagesReadOnlyOrInaccessibleShootsDown()
    {
        _memory.Protect(0x1_1000, Page, MemoryPermissions.Read);
        Assert.Single(_shootdowns);

        _memory.Protect(0x1_1000, Page, MemoryPermissions.None);
        Assert.Equal(2, _shootdowns.Count);

        _memory.Protect(0x1_1000, Page, MemoryPermissions.Read); // access again
        Assert.Equal(2, _shootdowns.Count);
    }

    [Fact]
    public void WatchingCodeOnAWritablePageShootsDown()
    {
        _memory.WatchCode(0x1_2000);

        Assert.Single(_shootdowns);
    }

    [Fact]
    public void ShootdownsComeAfterThePageTablesChangedAndBeforeTheHostMemoryDoes()
    {
        long generationSeen = -1;
        bool committed = false;
        _space.AccessReduced += g =>
        {
            generationSeen = _space.Generation;
            committed = IsCommitted(0x1_3000);
        };
        _memory.Unmap(0x1_3000, Page);

        Assert.Equal(_shootdowns[^1], generationSeen);
        Assert.True(committed, "the host memory was decommitted before the vCPUs lost the page");
        Assert.False(IsCommitted(0x1_3000));
    }

    /// <summary>Whether the window page is still host memory that can be read (from /proc/self/maps: readable, not PROT_NONE).</summary>
    private bool IsCommitted(uint address)
    {
        ulong host = (ulong)_memory.WindowBase + address;
        foreach (string line in File.ReadLines("/proc/self/maps"))
        {
            string[] range = line[..line.IndexOf(' ')].Split('-');
            ulong start = Convert.ToUInt64(range[0], 16), end = Convert.ToUInt64(range[1], 16);
            if (host >= start && host < end)
            {
                return line.Split(' ')[1][0] == 'r';
            }
        }

        return false;
    }
}
