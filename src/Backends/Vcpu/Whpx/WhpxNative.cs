using System.Runtime.InteropServices;

namespace Isa.Backends.Vcpu.Whpx;

/// <summary>
/// The Windows Hypervisor Platform API (WinHvPlatform.dll, WinHvPlatformDefs.h, x64): functions, codes
/// and the structures they pass, as Microsoft documents them. The library is only loaded when a function
/// is first called, so this compiles and loads everywhere; callers check <see cref="OperatingSystem.IsWindows"/> first.
/// </summary>
internal static unsafe partial class WhpxNative
{
    public const string Library = "WinHvPlatform.dll";

    // WHV_CAPABILITY_CODE
    public const uint CapabilityHypervisorPresent = 0x0000, CapabilityFeatures = 0x0001, CapabilityExtendedVmExits = 0x0002;
    public const uint CapabilityProcessorVendor = 0x1000, CapabilityProcessorFeatures = 0x1001, CapabilityProcessorXsaveFeatures = 0x1003;

    // WHV_PROCESSOR_XSAVE_FEATURES bits
    public const ulong XsaveSupport = 1, AvxSupport = 4;

    // WHV_PARTITION_PROPERTY_CODE
    public const uint PropertyExtendedVmExits = 0x0001, PropertyExceptionExitBitmap = 0x0002;
    public const uint PropertyProcessorFeatures = 0x1001, PropertyProcessorXsaveFeatures = 0x1006, PropertyProcessorCount = 0x1FFF;

    // WHV_MAP_GPA_RANGE_FLAGS
    public const uint MapRead = 1, MapWrite = 2, MapExecute = 4;

    /// <summary>WHV_RUN_VP_EXIT_REASON.</summary>
    public const uint ExitNone = 0, ExitMemoryAccess = 1, ExitX64IoPortAccess = 2, ExitUnrecoverableException = 4;
    public const uint ExitInvalidVpRegisterValue = 5, ExitUnsupportedFeature = 6, ExitX64InterruptWindow = 7, ExitX64Halt = 8;
    public const uint ExitX64ApicEoi = 9, ExitX64MsrAccess = 0x1000, ExitX64Cpuid = 0x1001, ExitException = 0x1002;
    public const uint ExitX64Rdtsc = 0x1003, ExitCanceled = 0x2001;

    /// <summary>WHV_MEMORY_ACCESS_TYPE, the low two bits of WHV_MEMORY_ACCESS_INFO.</summary>
    public const uint MemoryAccessRead = 0, MemoryAccessWrite = 1, MemoryAccessExecute = 2;

    /// <summary>WHV_MEMORY_ACCESS_INFO bits above the access type.</summary>
    public const uint MemoryAccessGpaUnmapped = 1 << 2, MemoryAccessGvaValid = 1 << 3;

    /// <summary>WHV_X64_IO_PORT_ACCESS_INFO: IsWrite:1, AccessSize:3 (bytes), StringOp:1, RepPrefix:1.</summary>
    public const uint IoIsWrite = 1, IoStringOp = 1 << 4, IoRepPrefix = 1 << 5;

    /// <summary>WHV_X64_UNSUPPORTED_FEATURE_CODE.</summary>
    public const uint UnsupportedFeatureIntercept = 1, UnsupportedFeatureTaskSwitchTss = 2;

    /// <summary>sizeof(WHV_RUN_VP_EXIT_CONTEXT): what <see cref="WHvRunVirtualProcessor"/> is given to fill.</summary>
    public const int ExitContextSize = 224;

    /// <summary>WHV_X64_SEGMENT_REGISTER: the attribute word is bits 40-55 of the descriptor with the limit's bits 8-11 reserved.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct SegmentRegister
    {
        [FieldOffset(0)] public ulong Base;
        [FieldOffset(8)] public uint Limit;
        [FieldOffset(12)] public ushort Selector;
        [FieldOffset(14)] public ushort Attributes;
    }

    /// <summary>WHV_X64_TABLE_REGISTER: three padding words, the limit, then the base.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct TableRegister
    {
        [FieldOffset(6)] public ushort Limit;
        [FieldOffset(8)] public ulong Base;
    }

    /// <summary>WHV_REGISTER_VALUE: a 16-byte, 16-byte aligned union (only the views the hosts use).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct RegisterValue
    {
        [FieldOffset(0)] public ulong Reg64;
        [FieldOffset(8)] public ulong High64;
        [FieldOffset(0)] public SegmentRegister Segment;
        [FieldOffset(0)] public TableRegister Table;
    }

    /// <summary>WHV_VP_EXIT_CONTEXT: the state every exit reports.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct VpExitContext
    {
        /// <summary>WHV_X64_VP_EXECUTION_STATE: Cpl:2, Cr0Pe, Cr0Am, EferLma, DebugActive, InterruptionPending, 5 reserved, InterruptShadow.</summary>
        [FieldOffset(0)] public ushort ExecutionState;

        /// <summary>InstructionLength:4, Cr8:4.</summary>
        [FieldOffset(2)] public byte InstructionLengthAndCr8;
        [FieldOffset(8)] public SegmentRegister Cs;
        [FieldOffset(24)] public ulong Rip;
        [FieldOffset(32)] public ulong Rflags;

        public readonly int InstructionLength => InstructionLengthAndCr8 & 0xF;
    }

    /// <summary>WHV_MEMORY_ACCESS_CONTEXT (WHvRunVpExitReasonMemoryAccess).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct MemoryAccessContext
    {
        [FieldOffset(0)] public byte InstructionByteCount;
        [FieldOffset(4)] public fixed byte InstructionBytes[16];
        [FieldOffset(20)] public uint AccessInfo;
        [FieldOffset(24)] public ulong Gpa;
        [FieldOffset(32)] public ulong Gva;
    }

    /// <summary>WHV_X64_IO_PORT_ACCESS_CONTEXT (WHvRunVpExitReasonX64IoPortAccess).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 96)]
    public struct IoPortAccessContext
    {
        [FieldOffset(0)] public byte InstructionByteCount;
        [FieldOffset(4)] public fixed byte InstructionBytes[16];
        [FieldOffset(20)] public uint AccessInfo;
        [FieldOffset(24)] public ushort PortNumber;
        [FieldOffset(32)] public ulong Rax;
        [FieldOffset(40)] public ulong Rcx;
        [FieldOffset(48)] public ulong Rsi;
        [FieldOffset(56)] public ulong Rdi;
        [FieldOffset(64)] public SegmentRegister Ds;
        [FieldOffset(80)] public SegmentRegister Es;
    }

    /// <summary>WHV_VP_EXCEPTION_CONTEXT (WHvRunVpExitReasonException, only when exception exits are enabled).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    public struct ExceptionContext
    {
        [FieldOffset(0)] public byte InstructionByteCount;
        [FieldOffset(4)] public fixed byte InstructionBytes[16];

        /// <summary>WHV_VP_EXCEPTION_INFO: ErrorCodeValid:1, SoftwareException:1.</summary>
        [FieldOffset(20)] public uint ExceptionInfo;
        [FieldOffset(24)] public byte ExceptionType;
        [FieldOffset(28)] public uint ErrorCode;
        [FieldOffset(32)] public ulong ExceptionParameter;
    }

    /// <summary>WHV_X64_UNSUPPORTED_FEATURE_CONTEXT.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 16)]
    public struct UnsupportedFeatureContext
    {
        [FieldOffset(0)] public uint FeatureCode;
        [FieldOffset(8)] public ulong FeatureParameter;
    }

    /// <summary>WHV_RUN_VP_EXIT_CONTEXT: the reason, the processor's state, and a union of 176 bytes at 48.</summary>
    [StructLayout(LayoutKind.Explicit, Size = ExitContextSize)]
    public struct RunVpExitContext
    {
        [FieldOffset(0)] public uint ExitReason;
        [FieldOffset(8)] public VpExitContext VpContext;
        [FieldOffset(48)] public MemoryAccessContext MemoryAccess;
        [FieldOffset(48)] public IoPortAccessContext IoPortAccess;
        [FieldOffset(48)] public ExceptionContext VpException;
        [FieldOffset(48)] public UnsupportedFeatureContext UnsupportedFeature;

        /// <summary>WHV_RUN_VP_CANCELED_CONTEXT: WHV_RUN_VP_CANCEL_REASON (0 = the user's cancel).</summary>
        [FieldOffset(48)] public uint CancelReason;
        [FieldOffset(48)] public fixed ulong AsUInt64[22];
    }

    [LibraryImport(Library)]
    public static partial int WHvGetCapability(uint capabilityCode, void* buffer, uint bufferSize, uint* writtenSize);

    [LibraryImport(Library)]
    public static partial int WHvCreatePartition(nint* partition);

    [LibraryImport(Library)]
    public static partial int WHvSetupPartition(nint partition);

    [LibraryImport(Library)]
    public static partial int WHvDeletePartition(nint partition);

    [LibraryImport(Library)]
    public static partial int WHvSetPartitionProperty(nint partition, uint propertyCode, void* buffer, uint bufferSize);

    [LibraryImport(Library)]
    public static partial int WHvMapGpaRange(nint partition, nint source, ulong guestAddress, ulong bytes, uint flags);

    [LibraryImport(Library)]
    public static partial int WHvUnmapGpaRange(nint partition, ulong guestAddress, ulong bytes);

    [LibraryImport(Library)]
    public static partial int WHvCreateVirtualProcessor(nint partition, uint vpIndex, uint flags);

    [LibraryImport(Library)]
    public static partial int WHvDeleteVirtualProcessor(nint partition, uint vpIndex);

    [LibraryImport(Library)]
    public static partial int WHvRunVirtualProcessor(nint partition, uint vpIndex, void* exitContext, uint exitContextSize);

    [LibraryImport(Library)]
    public static partial int WHvCancelRunVirtualProcessor(nint partition, uint vpIndex, uint flags);

    [LibraryImport(Library)]
    public static partial int WHvGetVirtualProcessorRegisters(nint partition, uint vpIndex, uint* names, uint count, RegisterValue* values);

    [LibraryImport(Library)]
    public static partial int WHvSetVirtualProcessorRegisters(nint partition, uint vpIndex, uint* names, uint count, RegisterValue* values);

    /// <summary>The XSAVE state components Windows enabled (the host's XCR0); kernel32, Windows 7 SP1 and later.</summary>
    [LibraryImport("kernel32.dll")]
    public static partial ulong GetEnabledXStateFeatures();

    /// <summary>An HRESULT for a message: its hex value and what the system says about it.</summary>
    public static string Describe(int hresult) => $"HRESULT 0x{hresult:X8} ({Marshal.GetExceptionForHR(hresult)?.Message ?? "no message"})";

    /// <summary>Throws when a call that must succeed failed.</summary>
    public static void Check(int hresult, string what)
    {
        if (hresult < 0)
        {
            throw new InvalidOperationException($"WHPX {what} failed: {Describe(hresult)}");
        }
    }
}
