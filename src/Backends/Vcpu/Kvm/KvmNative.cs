using System.Runtime.InteropServices;

namespace Isa.Backends.Vcpu.Kvm;

/// <summary>The /dev/kvm interface (linux/kvm.h, x86-64): ioctl numbers and the structures they pass.</summary>
internal static unsafe partial class KvmNative
{
    public const int ApiVersion = 12;

    // _IO(0xAE, n) = 0xAE00 | n; _IOR/_IOW/_IOWR add the direction (2 read, 1 write) << 30 and the size << 16.
    public const ulong GetApiVersion = 0xAE00, CreateVm = 0xAE01, CheckExtension = 0xAE03, GetVcpuMmapSize = 0xAE04;
    public const ulong GetSupportedCpuid = 0xC008AE05, CreateVcpu = 0xAE41, SetUserMemoryRegion = 0x4020AE46, SetTssAddr = 0xAE47;
    public const ulong Run = 0xAE80, GetRegs = 0x8090AE81, SetRegs = 0x4090AE82, GetSregs = 0x8138AE83, SetSregs = 0x4138AE84;
    public const ulong SetCpuid2 = 0x4008AE90, GetXcrs = 0x8188AEA6, SetXcrs = 0x4188AEA7;

    public const int CapNrMemslots = 10, CapXcrs = 56, CapSyncRegs = 74, CapImmediateExit = 136;

    /// <summary>
    /// <c>struct kvm_run</c>: <c>kvm_valid_regs</c> (what KVM copies out on every exit), <c>kvm_dirty_regs</c> (what it
    /// loads on the next entry) and the sync-register area, whose first member is a <c>struct kvm_regs</c>.
    /// </summary>
    public const int RunValidRegs = 288, RunDirtyRegs = 296, RunSyncRegs = 304;

    /// <summary>KVM_SYNC_X86_REGS: the general registers travel through the sync-register area.</summary>
    public const ulong SyncX86Regs = 1;

    public const int OpenReadWrite = 2, OpenCloexec = 0x80000;
    public const int ProtRead = 1, ProtWrite = 2, MapShared = 1;
    public const int Eintr = 4, Eagain = 11, E2big = 7;
    public const long SysGettid = 186, SysGetpid = 39, SysTgkill = 234;

    /// <summary>glibc's SIGRTMIN: .NET's own activation signal, whose handler returns harmlessly when nothing waits for it; it interrupts KVM_RUN.</summary>
    public const int KickSignal = 34;

    [StructLayout(LayoutKind.Sequential)]
    public struct Regs
    {
        public ulong Rax, Rbx, Rcx, Rdx, Rsi, Rdi, Rsp, Rbp, R8, R9, R10, R11, R12, R13, R14, R15, Rip, Rflags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Segment
    {
        public ulong Base;
        public uint Limit;
        public ushort Selector;
        public byte Type, Present, Dpl, Db, S, L, G, Avl, Unusable, Padding;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct DescriptorTable
    {
        public ulong Base;
        public ushort Limit;
        public ushort Padding0, Padding1, Padding2;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Sregs
    {
        public Segment Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
        public DescriptorTable Gdt, Idt;
        public ulong Cr0, Cr2, Cr3, Cr4, Cr8, Efer, ApicBase;
        public fixed ulong InterruptBitmap[4];
    }

    /// <summary><c>struct kvm_xcrs</c>: up to 16 (XCR number, value) pairs, 392 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Xcrs
    {
        public uint Count, Flags;
        public fixed ulong Entries[2 * 16]; // per entry: the XCR number (low 32 bits), the value
        public fixed ulong Padding[16];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct UserspaceMemoryRegion
    {
        public uint Slot, Flags;
        public ulong GuestPhysAddr, MemorySize, UserspaceAddr;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CpuidEntry2
    {
        public uint Function, Index, Flags, Eax, Ebx, Ecx, Edx, Padding0, Padding1, Padding2;
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ioctl(int fd, ulong request, nint argument);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(void* address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial long syscall(long number, long a, long b, long c);

    public static int Errno => Marshal.GetLastPInvokeError();

    public static string ErrorText(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    /// <summary>An ioctl that must succeed; EINTR is retried.</summary>
    public static int Call(int fd, ulong request, nint argument, string what)
    {
        while (true)
        {
            int result = ioctl(fd, request, argument);
            if (result >= 0)
            {
                return result;
            }

            int errno = Errno;
            if (errno != Eintr)
            {
                throw new InvalidOperationException($"KVM {what} failed: {ErrorText(errno)}");
            }
        }
    }
}
