using System.Runtime.InteropServices;
using Isa.Backends.Jit;
using Isa.Runtime.Memory;

namespace Isa.Backends.Vcpu;

/// <summary>
/// What the vCPUs of one VM see: every host range they touch at its own host virtual address (so
/// the absolute addresses in JIT code and contexts hold), backed by guest-physical memory handed
/// out from 4 GiB up. The guest window's pages mirror GuestMemory's host protection (not present,
/// read-only, writable), so a guest fault or a store into watched code is a #PF in the vCPU, as it
/// is a SIGSEGV in process. Processors reload CR3 (flushing their TLB) when <see cref="Generation"/> moved.
/// </summary>
internal sealed unsafe class VcpuAddressSpace : IDisposable
{
    private const ulong PageSize = PageTableBuilder.PageSize;
    private const ulong WindowBytes = 1UL << 32;
    private const int PoolPages = 4096; // 16 MiB: the window's 4 KiB pages need 8 MiB of tables

    private readonly IHypervisor _hypervisor;
    private readonly GuestMemory _memory;
    private readonly PageTableBuilder _tables;
    private readonly HashSet<ulong> _hostPages = [];
    private readonly List<nint> _allocations = [];
    private readonly object _lock = new();
    private readonly ulong _windowPhysical;
    private ulong _nextPhysical = 1UL << 32;
    private long _generation;

    public VcpuAddressSpace(IHypervisor hypervisor, GuestMemory memory, CodeBuffer code, VcpuStubs stubs)
    {
        _hypervisor = hypervisor;
        _memory = memory;
        nint pool = Allocate(PoolPages * PageSize, zero: false); // tables are cleared as they are taken
        ulong poolPhysical = Physical(PoolPages * PageSize, PageSize);
        hypervisor.MapMemory(poolPhysical, pool, PoolPages * PageSize, writable: true);
        _tables = new PageTableBuilder(pool, poolPhysical, PoolPages);

        SystemPage = Allocate(PageSize);
        LongMode.WriteTables(SystemPage, stubs.Exceptions);
        MapHost(SystemPage, (long)PageSize);

        ulong codeBytes = (ulong)(code.End - code.Start);
        ulong codePhysical = Physical(codeBytes, PageTableBuilder.LargePageSize);
        hypervisor.MapMemory(codePhysical, code.Start, codeBytes, writable: false);
        if ((((ulong)code.Start | codeBytes) & (PageTableBuilder.LargePageSize - 1)) == 0)
        {
            _tables.MapLarge((ulong)code.Start, codePhysical, codeBytes, PageFlags.Present);
        }
        else
        {
            _tables.Map((ulong)code.Start, codePhysical, codeBytes, PageFlags.Present);
        }

        _windowPhysical = Physical(WindowBytes, PageTableBuilder.LargePageSize);
        hypervisor.MapMemory(_windowPhysical, memory.WindowBase, WindowBytes, writable: true);
        lock (_lock)
        {
            memory.HostAccessRevoking += Revoke;
            memory.HostProtectionChanged += Mirror;
            Mirror(0, WindowBytes, initial: true, revokeOnly: false);
        }
    }

    /// <summary>The page holding the GDT, TSS and IDT (<see cref="LongMode.WriteTables"/>).</summary>
    public nint SystemPage { get; }

    public ulong Cr3 => _tables.Root;

    /// <summary>Moves each time page-table entries change: a processor that ran with an older value reloads CR3 first.</summary>
    public long Generation => Volatile.Read(ref _generation);

    /// <summary>Makes host memory visible to the vCPUs at its own address (rounded out to pages; what is mapped already stays).</summary>
    public void MapHost(nint start, long bytes)
    {
        ulong first = (ulong)start & ~(PageSize - 1);
        ulong end = ((ulong)start + (ulong)bytes + PageSize - 1) & ~(PageSize - 1);
        lock (_lock)
        {
            ulong run = 0;
            for (ulong page = first; page <= end; page += PageSize)
            {
                bool needed = page < end && !_hostPages.Contains(page);
                if (needed && run == 0)
                {
                    run = page;
                }
                else if (!needed && run != 0)
                {
                    ulong length = page - run;
                    ulong physical = Physical(length, PageSize);
                    _hypervisor.MapMemory(physical, (nint)run, length, writable: true);
                    _tables.Map(run, physical, length, PageFlags.Present | PageFlags.Writable | PageFlags.NoExecute);
                    for (ulong p = run; p < page; p += PageSize)
                    {
                        _hostPages.Add(p);
                    }

                    run = 0;
                }
            }

            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>
    /// Gives host memory a guest-physical address without mapping it at its host address: for memory
    /// the vCPUs see elsewhere (the block table's pages, <see cref="MapLargeShared"/>, <see cref="MapPage"/>).
    /// </summary>
    public ulong Back(nint host, ulong bytes, bool writable, ulong alignment)
    {
        ulong physical = Physical(bytes, alignment);
        _hypervisor.MapMemory(physical, host, bytes, writable);
        return physical;
    }

    /// <summary>Maps every 2 MiB of a range to the same 2 MiB of physical memory (<see cref="PageTableBuilder.MapLargeShared"/>).</summary>
    public void MapLargeShared(ulong virtualAddress, ulong physical, ulong bytes, PageFlags flags)
    {
        lock (_lock)
        {
            _tables.MapLargeShared(virtualAddress, physical, bytes, flags);
            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>Maps one 4 KiB page, splitting the 2 MiB page it was part of.</summary>
    public void MapPage(ulong virtualAddress, ulong physical, PageFlags flags)
    {
        lock (_lock)
        {
            _tables.Split(virtualAddress);
            _tables.Map(virtualAddress, physical, PageSize, flags);
            Interlocked.Increment(ref _generation);
        }
    }

    /// <summary>Page-table pages in use.</summary>
    public int TablePages => _tables.PagesUsed;

    /// <summary>What the vCPUs' page tables make of <paramref name="virtualAddress"/> (the physical address and the last level's flags), or null.</summary>
    public (ulong Physical, PageFlags Flags)? Translate(ulong virtualAddress)
    {
        lock (_lock)
        {
            return _tables.Translate(virtualAddress);
        }
    }

    /// <summary>Page-aligned, zeroed host memory that lives as long as this address space.</summary>
    public nint Allocate(ulong bytes, bool zero = true)
    {
        nint p = (nint)NativeMemory.AlignedAlloc((nuint)bytes, (nuint)PageSize);
        if (zero)
        {
            NativeMemory.Clear((void*)p, (nuint)bytes);
        }

        lock (_lock)
        {
            _allocations.Add(p);
        }

        return p;
    }

    /// <summary>
    /// Raised (with the new <see cref="Generation"/>, outside the lock) when pages lost access, before the change
    /// that caused it returns: the handler makes sure no running vCPU keeps the old access in its TLB.
    /// </summary>
    public event Action<long>? AccessReduced;

    private void Mirror(uint first, ulong length) => Mirror(first, length, initial: false, revokeOnly: false);

    /// <summary>Before the host's protection goes down: the page tables lose the access first (and running vCPUs with them).</summary>
    private void Revoke(uint first, ulong length) => Mirror(first, length, initial: false, revokeOnly: true);

    /// <summary>
    /// Page-table entries for window pages as their host protection is (or, with <paramref name="revokeOnly"/>,
    /// is about to be: only access they lose is taken away); tables only where pages are accessible.
    /// </summary>
    private void Mirror(uint first, ulong length, bool initial, bool revokeOnly)
    {
        bool reduced = false;
        long generation;
        lock (_lock)
        {
            for (ulong page = first; page < first + length; page += PageSize)
            {
                ulong va = (ulong)_memory.WindowBase + page;
                (bool readable, bool writable) = _memory.HostProtection((uint)page);
                bool wasWritable = false;
                if (!initial && _tables.Translate(va) is { } old && (old.Flags & PageFlags.Present) != 0)
                {
                    wasWritable = (old.Flags & PageFlags.Writable) != 0;
                    reduced |= !readable || (!writable && wasWritable);
                }
                else if (revokeOnly)
                {
                    continue; // not mapped: nothing to take away
                }

                if (revokeOnly)
                {
                    writable &= wasWritable;
                }

                if (readable)
                {
                    _tables.Map(va, _windowPhysical + page, PageSize, PageFlags.Present | PageFlags.NoExecute | (writable ? PageFlags.Writable : PageFlags.None));
                }
                else if (!initial)
                {
                    _tables.Unmap(va, PageSize);
                }
            }

            generation = revokeOnly && !reduced ? _generation : Interlocked.Increment(ref _generation);
        }

        // Pages that gained access need no shootdown: the TLB holds no not-present entries, and a write to a page
        // still cached read-only faults into the host, which finds it writable and goes on.
        if (reduced)
        {
            AccessReduced?.Invoke(generation);
        }
    }

    private ulong Physical(ulong bytes, ulong alignment)
    {
        lock (_lock)
        {
            ulong at = (_nextPhysical + alignment - 1) & ~(alignment - 1);
            if (at + bytes > 1UL << _hypervisor.PhysicalAddressBits)
            {
                throw new InvalidOperationException($"the vCPU's {_hypervisor.PhysicalAddressBits}-bit physical address space is full");
            }

            _nextPhysical = at + bytes;
            return at;
        }
    }

    public void Dispose()
    {
        _memory.HostProtectionChanged -= Mirror;
        _memory.HostAccessRevoking -= Revoke;
        lock (_lock)
        {
            foreach (nint p in _allocations)
            {
                NativeMemory.AlignedFree((void*)p);
            }

            _allocations.Clear();
        }
    }
}
