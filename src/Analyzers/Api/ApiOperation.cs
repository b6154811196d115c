namespace ComImpersonation.Analyzers.Api
{
    /// <summary>What a recognised call does to the thread's identity or to the asynchronous call.</summary>
    internal enum ApiOperation
    {
        None = 0,

        /// <summary>Puts the client's token on the thread (<c>CoImpersonateClient</c>, <c>IServerSecurity.ImpersonateClient</c>).</summary>
        Impersonate,

        /// <summary>Removes the client's token from the thread (<c>CoRevertToSelf</c>, <c>IServerSecurity.RevertToSelf</c>).</summary>
        Revert,

        /// <summary>Completes the asynchronous call (<c>ISynchronize.Signal</c>): the call context is gone afterwards.</summary>
        Signal,
    }

    /// <summary>How a recognised call reports failure, which decides how its result can be acted on.</summary>
    internal enum ResultShape
    {
        /// <summary>A <c>void</c> projection that throws on failure.</summary>
        Throws = 0,

        /// <summary>An <c>int</c> HRESULT (negative means failure).</summary>
        Int32,

        /// <summary>A <c>uint</c> HRESULT (high bit set means failure).</summary>
        UInt32,

        /// <summary>An HRESULT struct (CsWin32, Vanara, TerraFX) with <c>Failed</c> / <c>Succeeded</c>.</summary>
        HResultStruct,

        /// <summary>Any other return type: the analysis cannot tell success from failure.</summary>
        Other,
    }
}
