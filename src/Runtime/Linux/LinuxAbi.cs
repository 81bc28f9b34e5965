using Isa.Runtime.Cpu;

namespace Isa.Runtime.Linux;

/// <summary>
/// How one guest ABI talks to Linux: where a syscall finds its number and arguments and leaves
/// its result, how it numbers syscalls and errors, and the layouts and flag values that differ
/// from the host's. The kernel emulation is written once against this; an ABI is data plus a
/// few small conversions (qemu's linux-user has the same split).
/// </summary>
public abstract class LinuxAbi
{
    /// <summary>The name a spec selects it by (<c>linux_abi mips_o32;</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The syscall the guest asks for, and the raw number (for reports).</summary>
    public abstract (LinuxSyscall Syscall, long Number) Identify(ICpu cpu);

    /// <summary>Argument <paramref name="index"/> (0-based) of the current syscall.</summary>
    public abstract uint Argument(ICpu cpu, int index);

    /// <summary>Stores a syscall's result: non-negative values, or <c>-errno</c> in host numbering.</summary>
    public abstract void SetResult(ICpu cpu, long result);

    /// <summary>A second result register, for syscalls such as MIPS <c>pipe</c> that return two values.</summary>
    public abstract void SetSecondResult(ICpu cpu, uint value);

    public abstract uint StackPointer(ICpu cpu);

    public abstract void SetStackPointer(ICpu cpu, uint value);

    /// <summary>Prepares registers for entry at the start of a process (stack pointer, zeroed ABI registers).</summary>
    public abstract void SetInitialRegisters(ICpu cpu, uint stackPointer, uint entry);

    /// <summary>Sets the thread pointer (MIPS <c>set_thread_area</c>, read back by <c>rdhwr $29</c>).</summary>
    public abstract void SetThreadPointer(ICpu cpu, uint value);

    /// <summary>Guest flag values of <c>open</c> that differ from the host's, as (guest bit, host bit).</summary>
    public abstract IReadOnlyList<(int Guest, int Host)> OpenFlags { get; }

    /// <summary>Guest <c>mmap</c> flag values as (guest bit, host meaning).</summary>
    public abstract IReadOnlyList<(int Guest, int Host)> MmapFlags { get; }

    /// <summary>Converts a host errno to the guest's number.</summary>
    public abstract int GuestErrno(int hostErrno);

    /// <summary>Writes a <c>struct stat64</c> in the guest's layout.</summary>
    public abstract void WriteStat64(Span<byte> target, in HostStat stat, bool bigEndian);

    /// <summary>Size of the guest's <c>struct stat64</c>.</summary>
    public abstract int Stat64Size { get; }

    /// <summary>The guest's ioctl request numbers for the terminal requests the kernel emulates, as (guest, host).</summary>
    public abstract IReadOnlyList<(uint Guest, uint Host)> TerminalIoctls { get; }

    /// <summary>What <c>uname</c> reports as the machine (qemu-user reports the guest's).</summary>
    public abstract string UnameMachine { get; }

    /// <summary>RLIM_INFINITY of the 32-bit <c>getrlimit</c>.</summary>
    public abstract ulong RlimInfinity32 { get; }

    /// <summary>The host's number for a guest RLIMIT_* resource, or -1.</summary>
    public abstract int HostResource(int guestResource);

    /// <summary>
    /// The argument positions of clone's TLS value and child-tid pointer (after flags, stack and
    /// parent-tid pointer): MIPS and ARM use tls before child-tid, x86-64 the other way round.
    /// </summary>
    public abstract (int Tls, int ChildTid) CloneArguments { get; }

    /// <summary>The guest's number for a host signal (for wait statuses); unknown ones pass unchanged.</summary>
    public abstract int GuestSignal(int hostSignal);

    /// <summary>The host's number for a guest signal; unknown ones pass unchanged.</summary>
    public abstract int HostSignal(int guestSignal);

    /// <summary>
    /// Writes the 128-byte <c>siginfo_t</c> that waitid reports for a child (SIGCHLD fields: pid,
    /// uid, status), numbers already in the guest's numbering. Layouts differ: MIPS puts si_code
    /// before si_errno.
    /// </summary>
    public abstract void WriteChildSiginfo(Span<byte> target, int signal, int code, int pid, uint uid, int status, bool bigEndian);

    /// <summary>Translates flag bits through a (guest, host) table; unknown bits pass unchanged.</summary>
    public static int Translate(int value, IReadOnlyList<(int Guest, int Host)> table, bool toHost)
    {
        int result = value;
        foreach ((int guest, int host) in table)
        {
            result &= ~(toHost ? guest : host);
        }

        foreach ((int guest, int host) in table)
        {
            if ((value & (toHost ? guest : host)) != 0)
            {
                result |= toHost ? host : guest;
            }
        }

        return result;
    }
}
