using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>An emulated Linux process: its address space, heap break, mappings, files and threads.</summary>
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
        Futexes = new FutexTable(Memory, isa.Endianness == Endianness.Big);
        CpuFactory = isa.CreateCpu;
    }

    public GuestIsa Isa { get; }

    public LinuxAbi Abi { get; }

    public GuestMemory Memory { get; }

    public FileTable Files { get; private set; }

    public GuestThreadGroup Threads { get; } = new();

    public FutexTable Futexes { get; }

    /// <summary>Held while the address space layout changes (brk, mmap, munmap, mprotect), which threads share.</summary>
    internal Lock AddressSpaceLock { get; } = new();

    /// <summary>
    /// Makes the CPU of each new guest thread (and of a resumed fork child): the execution engine
    /// the user chose, so an interpreter and a JIT can both run threads. Defaults to the ISA's interpreter.
    /// </summary>
    public Func<GuestMemory, ICpu> CpuFactory { get; set; }

    /// <summary>How to start another emulator for fork and execve; null when the host cannot (they fail with ENOSYS).</summary>
    public GuestLauncher? Launcher { get; init; }

    /// <summary>Signal dispositions, process-directed pending signals and interval timers.</summary>
    public ProcessSignals Signals { get; }

    /// <summary>The guest program's host path (what <c>/proc/self/exe</c> names).</summary>
    public string ExecutablePath { get; }

    /// <summary>Host folder standing for the guest's <c>/</c> when it loads its interpreter and libraries (qemu's <c>-L</c>).</summary>
    public string? Sysroot { get; }

    public uint BrkStart { get; set; }

    public uint Brk { get; set; }

    /// <summary>Replaces the standard-stream table with the fds a forked or executed emulator inherited.</summary>
    public void AdoptFiles(FileTable files)
    {
        Files.CloseAll();
        Files = files;
    }

    /// <summary>
    /// Writes an emulator message about the guest where the guest's stderr goes (its fd 2, as
    /// qemu-user's messages follow its redirections), or to this process's stderr when it has none.
    /// </summary>
    public unsafe void ReportToGuestStandardError(string message)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(message);
        int fd = Files.Host(2);
        fixed (byte* p = bytes)
        {
            if (fd >= 0 && HostSyscalls.Call(HostSyscalls.Write, fd, (nint)p, bytes.Length) == bytes.Length)
            {
                return;
            }
        }

        Console.Error.Write(message);
    }

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
        if (Threads.Running == 0)
        {
            Memory.Dispose();
        }

        // Otherwise a guest thread still blocked in a host syscall may write into the window when
        // it returns: the reservation stays until the host process ends.
    }
}
