namespace ComImpersonation.Analyzers.Api
{
    /// <summary>What a recognised call does to the thread's identity or to the asynchronous call.</summary>
    internal enum ApiOperation
    {
        None = 0,

        /// <summary>Puts a token on the thread (<c>CoImpersonateClient</c>, <c>ImpersonateLoggedOnUser</c>, <c>WindowsIdentity.Impersonate</c>…).</summary>
        Impersonate,

        /// <summary>Removes it (<c>CoRevertToSelf</c>, <c>RevertToSelf</c>, <c>RpcRevertToSelf</c>, <c>WindowsImpersonationContext.Undo</c>…).</summary>
        Revert,

        /// <summary>Completes the asynchronous call (<c>ISynchronize.Signal</c>): the call context is gone afterwards.</summary>
        Signal,
    }

    /// <summary>How a recognised call reports failure, which decides how its result can be acted on.</summary>
    internal enum ResultShape
    {
        /// <summary>A <c>void</c> projection, or a .NET method, that throws on failure.</summary>
        Throws = 0,

        /// <summary>An <c>int</c> HRESULT (negative means failure).</summary>
        Int32,

        /// <summary>A <c>uint</c> HRESULT (high bit set means failure).</summary>
        UInt32,

        /// <summary>A result struct with <c>Failed</c> / <c>Succeeded</c>: an HRESULT (CsWin32, Vanara, TerraFX) or Vanara's <c>Win32Error</c>.</summary>
        HResultStruct,

        /// <summary>A Win32 BOOL as <c>bool</c> or as CsWin32's <c>BOOL</c> struct: false means failure.</summary>
        Bool,

        /// <summary>A Win32 BOOL declared as <c>int</c> / <c>uint</c>: zero means failure (the opposite of an HRESULT).</summary>
        Bool32,

        /// <summary>A status code (<c>RPC_STATUS</c> as <c>int</c>, <c>uint</c> or an enum): anything but zero means failure.</summary>
        Status,

        /// <summary>Any other return type: the analysis cannot tell success from failure.</summary>
        Other,
    }
}
