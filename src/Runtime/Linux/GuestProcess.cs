using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>An emulated Linux process: its address space, heap break, mappings and files.</summary>
public sealed class GuestProcess : IDisposable
{
    /// <summary>The stack's top: the o32 kernel's user space ends at 2 GiB.</summary>
    public const uint StackTop = 0x7fff_0000;
    public const uint StackSize = 8 << 20;

    /// <summary>Where <c>mmap</c> without a hint starts looking, downwards (below the stack and its guard).</summary>
    public const uint MmapTop = 0x7700_0000;

    public GuestProcess(GuestIsa isa, LinuxAbi abi, string executablePath, string? sysroot)
    {
        Isa = isa;
        Abi = abi;
        ExecutablePath = executablePath;
        Sysroot = sysroot;
        Memory = new GuestMemory();
        Files = FileTable.WithStandardStreams();
        Signals = new ProcessSignals(abi.SignalCount);
    }

    public GuestIsa Isa { get; }

    public LinuxAbi Abi { get; }

    public GuestMemory Memory { get; }

    public FileTable Files { get; }

    /// <summary>Signal dispositions, process-directed pending signals and interval timers.</summary>
    public ProcessSignals Signals { get; }

    /// <summary>The guest program's host path (what <c>/proc/self/exe</c> names).</summary>
    public string ExecutablePath { get; }

    /// <summary>Host folder standing for the guest's <c>/</c> when it loads its interpreter and libraries (qemu's <c>-L</c>).</summary>
    public string? Sysroot { get; }

    public uint BrkStart { get; set; }

    public uint Brk { get; set; }

    /// <summary>The exit status once the guest has exited.</summary>
    public int? ExitStatus { get; set; }

    /// <summary>Finds <paramref name="size"/> bytes of unmapped address space, searching down from <see cref="MmapTop"/>.</summary>
    public uint? FindFree(ulong size, uint below = MmapTop)
    {
        ulong pages = (size + GuestMemory.PageMask) >> GuestMemory.PageShift;
        ulong run = 0;
        for (long page = (below >> GuestMemory.PageShift) - 1; page > (BrkStart >> GuestMemory.PageShift) + 256; page--)
        {
            run = Memory.IsMapped((uint)(page << GuestMemory.PageShift)) ? 0 : run + 1;
            if (run == pages)
            {
                return (uint)(page << GuestMemory.PageShift);
            }
        }

        return null;
    }

    public void Dispose()
    {
        Signals.Forwarding.Dispose();
        Files.CloseAll();
        Memory.Dispose();
    }
}
