using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;

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

    /// <summary>Bytes of the ABI's <c>unsigned long</c>: the word of <c>sigset_t</c> and <c>fd_set</c>.</summary>
    public abstract int WordBytes { get; }

    /// <summary>Guest <c>poll</c> event bits that differ from the host's, as (guest bit, host bits).</summary>
    public abstract IReadOnlyList<(int Guest, int Host)> PollEvents { get; }

    /// <summary>The highest guest signal number (the kernel's <c>_NSIG</c>).</summary>
    public abstract int SignalCount { get; }

    /// <summary>Size of the kernel's <c>sigset_t</c> (what rt_sigprocmask's <c>sigsetsize</c> must be).</summary>
    public int SignalSetBytes => SignalCount / 8;

    /// <summary>The host's number for a guest signal, or 0 when the host has no such signal.</summary>
    public abstract int HostSignal(int guestSignal);

    /// <summary>The guest's number for a host signal, or 0 when the guest has no such signal.</summary>
    public abstract int GuestSignal(int hostSignal);

    /// <summary>The guest's SIG_BLOCK, SIG_UNBLOCK and SIG_SETMASK (MIPS numbers them from 1, others from 0).</summary>
    public abstract (int Block, int Unblock, int SetMask) SignalMaskHow { get; }

    /// <summary>Guest <c>sa_flags</c> bits as (guest bit, host bit): SA_SIGINFO, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND...</summary>
    public abstract IReadOnlyList<(int Guest, int Host)> SignalActionFlags { get; }

    /// <summary>Size of the kernel's <c>struct sigaction</c> as rt_sigaction reads it.</summary>
    public abstract int SignalActionSize { get; }

    public abstract SignalAction ReadSignalAction(ReadOnlySpan<byte> source, bool bigEndian);

    public abstract void WriteSignalAction(Span<byte> target, in SignalAction action, bool bigEndian);

    /// <summary>Size of <c>siginfo_t</c>.</summary>
    public abstract int SignalInfoSize { get; }

    /// <summary>Writes a <c>siginfo_t</c> (zeroed first) in the guest's layout.</summary>
    public abstract void WriteSignalInfo(Span<byte> target, in SignalInfo info, bool bigEndian);

    /// <summary>Size of <c>stack_t</c>.</summary>
    public abstract int SignalStackSize { get; }

    public abstract SignalStack ReadSignalStack(ReadOnlySpan<byte> source, bool bigEndian);

    public abstract void WriteSignalStack(Span<byte> target, in SignalStack stack, bool bigEndian);

    /// <summary>MINSIGSTKSZ: sigaltstack refuses smaller stacks.</summary>
    public abstract uint MinSignalStackSize { get; }

    /// <summary>
    /// The code a handler returns to when the ABI has no SA_RESTORER (MIPS): it calls rt_sigreturn.
    /// The kernel maps it in a page of its own (MIPS's VDSO), which the emulation does on first use.
    /// </summary>
    public abstract byte[] SigreturnTrampoline(bool bigEndian);

    /// <summary>
    /// Builds the kernel's rt signal frame (siginfo and ucontext with the interrupted registers)
    /// below <see cref="SignalFrame.StackPointer"/> and points the CPU at the handler. A frame
    /// that does not fit in mapped memory throws <see cref="Memory.GuestFaultException"/>.
    /// </summary>
    public abstract void PushSignalFrame(ICpu cpu, in SignalFrame frame);

    /// <summary>
    /// rt_sigreturn: restores the registers saved by <see cref="PushSignalFrame"/> from the frame at
    /// the stack pointer and returns the mask and alternate stack it saved.
    /// </summary>
    public abstract (SignalSet Mask, SignalStack Stack) PopSignalFrame(ICpu cpu);

    /// <summary>
    /// The argument positions of clone's TLS value and child-tid pointer (after flags, stack and
    /// parent-tid pointer): MIPS and ARM use tls before child-tid, x86-64 the other way round.
    /// </summary>
    public abstract (int Tls, int ChildTid) CloneArguments { get; }

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
