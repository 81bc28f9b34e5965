using System.Buffers.Binary;
using Isa.Runtime.Cpu;

namespace Isa.Runtime.Linux.Abi;

/// <summary>
/// The MIPS o32 Linux ABI: syscall number in v0, arguments in a0-a3 and then on the stack at
/// sp+16, result in v0 with a3 = 1 and v0 = errno on failure; numbers start at 4000.
/// </summary>
public sealed partial class MipsO32Abi : LinuxAbi
{
    private const int V0 = 2, V1 = 3, A0 = 4, A3 = 7, Sp = 29, Ra = 31;
    private readonly int _gpr;
    private readonly int _threadPointer;
    private readonly int _hi, _lo, _llbit, _fpr, _fcsr;

    public MipsO32Abi(GuestIsa isa)
    {
        _gpr = Require(isa, "gpr");
        _threadPointer = isa.RegisterFileIndex("ulr");
        _hi = Require(isa, "hi");
        _lo = Require(isa, "lo");
        _llbit = isa.RegisterFileIndex("llbit");
        _fpr = isa.RegisterFileIndex("fpr");
        _fcsr = isa.RegisterFileIndex("fcsr");
    }

    public override string Name => "mips_o32";

    public override IReadOnlyList<(int Guest, int Host)> OpenFlags { get; } =
    [
        (0x0008, 0x400), // O_APPEND
        (0x0010, 0x1000), // O_DSYNC
        (0x0080, 0x800), // O_NONBLOCK
        (0x0100, 0x40), // O_CREAT
        (0x0200, 0x200), // O_TRUNC
        (0x0400, 0x80), // O_EXCL
        (0x0800, 0x100), // O_NOCTTY
        (0x2000, 0x8000), // O_LARGEFILE
        (0x8000, 0x4000), // O_DIRECT
        (0x10000, 0x10000), // O_DIRECTORY
        (0x20000, 0x20000), // O_NOFOLLOW
        (0x40000, 0x40000), // O_NOATIME
        (0x80000, 0x80000), // O_CLOEXEC
        (0x200000, 0x200000), // O_PATH
    ];

    public override IReadOnlyList<(int Guest, int Host)> MmapFlags { get; } =
    [
        (0x001, 0x01), // MAP_SHARED
        (0x002, 0x02), // MAP_PRIVATE
        (0x010, 0x10), // MAP_FIXED
        (0x800, 0x20), // MAP_ANONYMOUS
        (0x400, 0x4000), // MAP_NORESERVE
        (0x1000, 0x100), // MAP_GROWSDOWN
        (0x10000, 0x10000), // MAP_POPULATE
        (0x40000, 0x20000), // MAP_STACK (glibc's thread stacks)
        (0x100000, 0x100000), // MAP_FIXED_NOREPLACE
    ];

    public override IReadOnlyList<(uint Guest, uint Host)> TerminalIoctls { get; } =
    [
        (0x540d, 0x5401), // TCGETS
        (0x40087468, 0x5413), // TIOCGWINSZ
    ];

    public override int Stat64Size => 104;

    public override string UnameMachine => "mips";

    /// <summary>o32's RLIM_INFINITY is 0x7fffffff, not all ones.</summary>
    public override ulong RlimInfinity32 => 0x7fff_ffff;

    /// <summary>MIPS numbers RLIMIT_NOFILE..MEMLOCK differently: NOFILE 5, AS 6, RSS 7, NPROC 8, MEMLOCK 9.</summary>
    public override int HostResource(int guestResource) => guestResource switch
    {
        >= 0 and <= 4 => guestResource,
        5 => 7,
        6 => 9,
        7 => 5,
        8 => 6,
        9 => 8,
        >= 10 and <= 15 => guestResource,
        _ => -1,
    };

    /// <summary>The kernel's CONFIG_CLONE_BACKWARDS order: clone(flags, stack, ptid, tls, ctid).</summary>
    public override (int Tls, int ChildTid) CloneArguments => (3, 4);

    public override (LinuxSyscall Syscall, long Number) Identify(ICpu cpu)
    {
        long number = (uint)cpu.GetRegister(_gpr, V0);
        long index = number - 4000;
        LinuxSyscall syscall = index >= 0 && index < MipsO32SyscallNumbers.ByNumber.Length ? MipsO32SyscallNumbers.ByNumber[index] : LinuxSyscall.Unknown;
        return (syscall, number);
    }

    public override uint Argument(ICpu cpu, int index)
    {
        if (index < 4)
        {
            return (uint)cpu.GetRegister(_gpr, A0 + index);
        }

        Span<byte> word = stackalloc byte[4];
        uint sp = (uint)cpu.GetRegister(_gpr, Sp);
        cpu.Memory.Read(sp + 16 + (uint)((index - 4) * 4), word);
        return cpu.Isa.Endianness == Endianness.Big ? BinaryPrimitives.ReadUInt32BigEndian(word) : BinaryPrimitives.ReadUInt32LittleEndian(word);
    }

    public override void SetResult(ICpu cpu, long result)
    {
        if (result < 0 && result > -4096)
        {
            cpu.SetRegister(_gpr, V0, (uint)GuestErrno((int)-result));
            cpu.SetRegister(_gpr, A3, 1);
        }
        else
        {
            cpu.SetRegister(_gpr, V0, (uint)result);
            cpu.SetRegister(_gpr, A3, 0);
        }
    }

    public override void SetSecondResult(ICpu cpu, uint value) => cpu.SetRegister(_gpr, V1, value);

    public override uint StackPointer(ICpu cpu) => (uint)cpu.GetRegister(_gpr, Sp);

    public override void SetStackPointer(ICpu cpu, uint value) => cpu.SetRegister(_gpr, Sp, value);

    public override void SetInitialRegisters(ICpu cpu, uint stackPointer, uint entry)
    {
        for (int i = 1; i < 32; i++)
        {
            cpu.SetRegister(_gpr, i, 0);
        }

        cpu.SetRegister(_gpr, Sp, stackPointer);
        cpu.SetRegister(_gpr, 25, entry); // t9 holds the entry for PIC startup code
        cpu.SetRegister(_gpr, Ra, 0);
        cpu.Pc = entry;
    }

    public override void SetThreadPointer(ICpu cpu, uint value)
    {
        if (_threadPointer >= 0)
        {
            cpu.SetRegister(_threadPointer, 0, value);
        }
    }

    public override int GuestErrno(int hostErrno) => hostErrno >= 0 && hostErrno < MipsErrno.FromGeneric.Length ? MipsErrno.FromGeneric[hostErrno] : hostErrno;

    /// <summary>o32 <c>struct stat64</c>: st_dev(4) pad(12) st_ino(8) mode nlink uid gid rdev(4) pad(12) size(8) times(3x8) blksize(4) pad(4) blocks(8).</summary>
    public override void WriteStat64(Span<byte> t, in HostStat s, bool bigEndian)
    {
        t[..Stat64Size].Clear();
        var w = new GuestStructWriter(t, bigEndian);
        w.U32(0, (uint)s.Device);
        w.U64(16, s.Inode);
        w.U32(24, s.Mode);
        w.U32(28, s.Links);
        w.U32(32, s.Uid);
        w.U32(36, s.Gid);
        w.U32(40, (uint)s.RawDevice);
        w.U64(56, (ulong)s.Size);
        w.U32(64, (uint)s.AccessSeconds);
        w.U32(68, s.AccessNanoseconds);
        w.U32(72, (uint)s.ModifySeconds);
        w.U32(76, s.ModifyNanoseconds);
        w.U32(80, (uint)s.ChangeSeconds);
        w.U32(84, s.ChangeNanoseconds);
        w.U32(88, (uint)s.BlockSize);
        w.U64(96, (ulong)s.Blocks);
    }

    /// <summary>o32 siginfo: si_signo, si_code, si_errno, then the union at 12 (pid, uid, status).</summary>
    public override void WriteChildSiginfo(Span<byte> target, int signal, int code, int pid, uint uid, int status, bool bigEndian)
    {
        target[..128].Clear();
        var w = new GuestStructWriter(target, bigEndian);
        w.U32(0, (uint)signal);
        w.U32(4, (uint)code);
        w.U32(12, (uint)pid);
        w.U32(16, uid);
        w.U32(20, (uint)status);
    }

    private static int Require(GuestIsa isa, string file)
    {
        int index = isa.RegisterFileIndex(file);
        return index >= 0 ? index : throw new InvalidOperationException($"the {isa.Name} spec declares no '{file}' registers, which the {nameof(MipsO32Abi)} needs");
    }
}
