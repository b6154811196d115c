using System.Threading.Tasks;
using ComImpersonation.Analyzers.Tests.Infrastructure;
using Xunit;

namespace ComImpersonation.Analyzers.Tests.Rules
{
    /// <summary>
    /// COMIMP004 (SPEC §2 "Results", §3): the result of an impersonation (int, uint or HRESULT struct) is discarded,
    /// stored in a local that is never read before it is overwritten or goes out of scope, or a throwing projection's
    /// exception is swallowed by a catch that neither rethrows, throws nor leaves the method. Reported at the
    /// impersonation call. Every acted-on form of SPEC §2 stays quiet, in every flavour where it compiles.
    /// </summary>
    public class Comimp004Tests
    {
        private const string Id = "COMIMP004";

        // -------------------------------------------------------------------------------------------------------
        // Discarded results
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Expression_statement_is_reported_with_the_api_name(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(
                f,
                $$"""
                    public void Begin_Work()
                    {
                        {|#0:{{f.Impersonate}}|};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """,
                Verify.Diagnostic(Id).WithLocation(0).WithArguments(f.ImpersonateName, "it is discarded", ""));
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Discard_assignment_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        _ = {{f.Imp(Id)}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Discarded_inside_a_branch_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        if (_flag)
                        {
                            {{f.Imp(Id)}};
                            try { Work(); } finally { {{f.RevertStatement}} }
                        }
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Locals never read
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Local_never_read_before_end_of_scope_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            string members = $$"""
                    public void Begin_Work()
                    {
                        var hr = {|#0:{{f.Impersonate}}|};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    {|#1:}|}
                """;
            return RuleCode.VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "it is stored in 'hr' and never read before the method returns at line " + Flavours.LineOf(RuleCode.Class(f, members), "{|#1:"), ""));
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Local_declared_first_and_assigned_later_but_never_read_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        {{RuleCode.ResultType(f)}} hr;
                        Log(_mode);
                        hr = {{f.Imp(Id)}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Local_overwritten_before_read_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        var hr = {{f.Imp(Id)}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                        hr = default;
                        Log(hr);
                    }
                """);
        }

        /// <summary>
        /// The classic shape: the local is reused for the revert's result in the finally, and only that is read.
        /// Every path from the impersonation to the read runs the finally, which overwrites the local first.
        /// </summary>
        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Local_overwritten_in_finally_before_read_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        var hr = {{f.Imp(Id)}};
                        try { Work(); } finally { hr = {{f.Revert}}; }
                        Log(hr);
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Throwing projections swallowed by a catch
        // -------------------------------------------------------------------------------------------------------

        /// <summary>Catch clauses that catch what a failed throwing projection throws (COMException) and swallow it.</summary>
        public static TheoryData<string, string> SwallowingCatches()
        {
            string[] clauses =
            {
                "catch { }",
                "catch (Exception) { }",
                "catch (COMException) { }",
                "catch (ExternalException) { }",
                "catch (SystemException) { }",
                "catch (COMException e) { Log(e); }",
                "catch (Exception e) { Log(e.HResult); _flag = true; }",
            };
            var data = new TheoryData<string, string>();
            foreach (string flavour in RuleCode.ThrowingNames)
            {
                foreach (string clause in clauses)
                {
                    data.Add(flavour, clause);
                }
            }

            return data;
        }

        [Theory]
        [MemberData(nameof(SwallowingCatches))]
        public Task Throwing_projection_swallowed_by_a_catch_is_reported(string name, string catchClause)
        {
            Flavour f = RuleCode.Get(name);
            string members = $$"""
                    public void Begin_Work()
                    {
                        try { {|#0:{{f.Impersonate}}|}; } {|#1:{{catchClause}}|}
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """;
            return RuleCode.VerifyAsync(
                f,
                members,
                Verify.DiagnosticWithRelated(Id).WithLocation(0).WithLocation(1)
                    .WithArguments(f.ImpersonateName, "its exception is swallowed by the catch at line " + Flavours.LineOf(RuleCode.Class(f, members), "{|#1:") + ", which neither rethrows, throws nor returns", ""));
        }

        [Theory]
        [MemberData(nameof(RuleCode.ThrowingNames), MemberType = typeof(RuleCode))]
        public Task Throwing_projection_swallowed_by_an_outer_catch_past_an_unrelated_inner_one_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        try
                        {
                            try { {{f.Imp(Id)}}; }
                            catch (FormatException) { throw; }
                        }
                        catch (Exception) { }

                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.ThrowingNames), MemberType = typeof(RuleCode))]
        public Task Throwing_projection_swallowed_with_the_impersonated_work_is_reported(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        try
                        {
                            {{f.Imp(Id)}};
                            try { Work(); } finally { {{f.RevertStatement}} }
                        }
                        catch (COMException) { _flag = true; }

                        Work(); // runs as the server whether or not the impersonation failed
                    }
                """);
        }

        /// <summary>SPEC §3: a catch after which nothing but the method's exit runs does leave it; nothing runs as the server.</summary>
        [Theory]
        [MemberData(nameof(RuleCode.ThrowingNames), MemberType = typeof(RuleCode))]
        public Task Throwing_projection_caught_by_a_catch_that_ends_the_method_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        if (_flag)
                        {
                            try
                            {
                                {{f.Impersonate}};
                                try { Work(); } finally { {{f.RevertStatement}} }
                            }
                            catch (COMException e) { Log(e); }
                        }
                    }

                    public void InALambda()
                    {
                        System.Action run = () =>
                        {
                            try
                            {
                                {{f.Impersonate}};
                                try { Work(); } finally { {{f.RevertStatement}} }
                            }
                            catch (Exception) { }
                        };
                        run();
                    }

                    public void InALoop()
                    {
                        for (int i = 0; i < 2; i++)
                        {
                            try
                            {
                                {{f.Imp(Id)}};
                                try { Work(); } finally { {{f.RevertStatement}} }
                            }
                            catch (Exception) { }
                        }
                    }
                """);
        }

        /// <summary>A throwing projection's statement is not a discarded result: the exception is the check.</summary>
        [Theory]
        [MemberData(nameof(RuleCode.ThrowingNames), MemberType = typeof(RuleCode))]
        public Task Throwing_projection_not_caught_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Work()
                    {
                        {{f.Impersonate}};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }

        /// <summary>
        /// Catches that act on the failure: rethrow, throw a new exception, or leave the method. And catches of a type
        /// that cannot hold the projection's COMException, which do not swallow it: by SPEC §2 only a catch that
        /// catches the exception can swallow it, and the implementation (ResultUse.CatchesComException) looks for the
        /// nearest catch of COMException or a base type of it. FormatException and TimeoutException are used because
        /// no HRESULT an impersonation returns maps to them (Marshal.ThrowExceptionForHR maps E_INVALIDARG to
        /// ArgumentException and E_ACCESSDENIED to UnauthorizedAccessException, so those are deliberately not pinned).
        /// </summary>
        [Theory]
        [MemberData(nameof(RuleCode.ThrowingNames), MemberType = typeof(RuleCode))]
        public Task Throwing_projection_with_catches_that_act_on_the_failure_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string imp = f.Impersonate;
            string revert = f.RevertStatement;
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Rethrow()
                    {
                        try { {{imp}}; } catch { _flag = true; throw; }
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_RethrowTyped()
                    {
                        try { {{imp}}; } catch (COMException e) { Log(e); throw; }
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_ThrowNew()
                    {
                        try { {{imp}}; }
                        catch (Exception e) { throw new UnauthorizedAccessException("cannot impersonate the client", e); }
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_Return()
                    {
                        try { {{imp}}; } catch (COMException) { _flag = true; return; }
                        try { Work(); } finally { {{revert}} }
                    }

                    public int Begin_ReturnValue()
                    {
                        try { {{imp}}; } catch (COMException e) { return e.HResult; }
                        try { Work(); } finally { {{revert}} }
                        return 0;
                    }

                    public void Begin_UnrelatedCatch()
                    {
                        try { {{imp}}; } catch (FormatException) { }
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_UnrelatedCatches()
                    {
                        try { {{imp}}; } catch (TimeoutException) { } catch (FormatException e) { Log(e); }
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_WorkCaught()
                    {
                        {{imp}};
                        try
                        {
                            try { Work(); } catch (Exception e) { Log(e); }
                        }
                        finally { {{revert}} }
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Acted-on forms (SPEC §2 "Results"): quiet
        // -------------------------------------------------------------------------------------------------------

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Compared_results_are_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string imp = f.Impersonate;
            string revert = f.RevertStatement;
            string sOk = RuleCode.SOk(f);
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_LessThanZero()
                    {
                        var hr = {{imp}};
                        if ({{RuleCode.Signed(f, "hr")}} < 0) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_GreaterOrEqualZero()
                    {
                        var hr = {{imp}};
                        if ({{RuleCode.Signed(f, "hr")}} >= 0)
                        {
                            try { Work(); } finally { {{revert}} }
                        }
                    }

                    public void Begin_NotZero()
                    {
                        var hr = {{imp}};
                        if (hr != 0) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_Zero()
                    {
                        var hr = {{imp}};
                        if (hr == 0)
                        {
                            try { Work(); } finally { {{revert}} }
                        }
                    }

                    public void Begin_NotSOk()
                    {
                        var hr = {{imp}};
                        if (hr != {{sOk}}) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_SOk()
                    {
                        var hr = {{imp}};
                        if (hr == {{sOk}})
                        {
                            try { Work(); } finally { {{revert}} }
                        }
                    }

                    public void Begin_Mirrored()
                    {
                        var hr = {{imp}};
                        if (0 > {{RuleCode.Signed(f, "hr")}}) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_FlavourCheck()
                    {
                        var hr = {{imp}};
                        if ({{f.Failed("hr")}}) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_ComparedDirectly()
                    {
                        if ({{RuleCode.Signed(f, imp)}} < 0) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_AssignedThenCompared()
                    {
                        {{RuleCode.ResultType(f)}} hr;
                        hr = {{imp}};
                        if (hr != {{sOk}}) throw new UnauthorizedAccessException();
                        try { Work(); } finally { {{revert}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task FAILED_and_SUCCEEDED_are_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string imp = f.Impersonate;
            string revert = f.RevertStatement;
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Failed()
                    {
                        var hr = {{imp}};
                        if (FAILED(hr)) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_Succeeded()
                    {
                        var hr = {{imp}};
                        if (SUCCEEDED(hr))
                        {
                            try { Work(); } finally { {{revert}} }
                        }
                    }

                    public void Begin_NotSucceeded()
                    {
                        var hr = {{imp}};
                        if (!SUCCEEDED(hr)) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_FailedDirectly()
                    {
                        if (FAILED({{imp}})) return;
                        try { Work(); } finally { {{revert}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.FailedPropertyNames), MemberType = typeof(RuleCode))]
        public Task Failed_and_Succeeded_properties_are_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string imp = f.Impersonate;
            string revert = f.RevertStatement;
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Failed()
                    {
                        var hr = {{imp}};
                        if (hr.Failed) return;
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_Succeeded()
                    {
                        var hr = {{imp}};
                        if (hr.Succeeded)
                        {
                            try { Work(); } finally { {{revert}} }
                        }
                    }

                    public void Begin_NotSucceeded()
                    {
                        var hr = {{imp}};
                        if (!hr.Succeeded) throw new UnauthorizedAccessException();
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_FailedDirectly()
                    {
                        if ({{imp}}.Failed) return;
                        try { Work(); } finally { {{revert}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Marshal_ThrowExceptionForHR_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string imp = f.Impersonate;
            string revert = f.RevertStatement;
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Local()
                    {
                        var hr = {{imp}};
                        Marshal.ThrowExceptionForHR({{RuleCode.AsInt(f, "hr")}});
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_Direct()
                    {
                        Marshal.ThrowExceptionForHR({{RuleCode.AsInt(f, imp)}});
                        try { Work(); } finally { {{revert}} }
                    }
                """);
        }

        /// <summary>CsWin32's <c>hr.ThrowOnFailure()</c> and Vanara's <c>hr.ThrowIfFailed()</c>.</summary>
        [Theory]
        [MemberData(nameof(RuleCode.FailedPropertyNames), MemberType = typeof(RuleCode))]
        public Task HRESULT_struct_throw_on_failure_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string imp = f.Impersonate;
            string revert = f.RevertStatement;
            string method = RuleCode.ThrowMethod(f)!;
            return RuleCode.VerifyAsync(f, $$"""
                    public void Begin_Local()
                    {
                        var hr = {{imp}};
                        hr.{{method}}();
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_Direct()
                    {
                        {{imp}}.{{method}}();
                        try { Work(); } finally { {{revert}} }
                    }
                """);
        }

        [Theory]
        [MemberData(nameof(RuleCode.CheckedNames), MemberType = typeof(RuleCode))]
        public Task Returned_or_stored_in_a_field_or_out_parameter_is_quiet(string name)
        {
            Flavour f = RuleCode.Get(name);
            string imp = f.Impersonate;
            string revert = f.RevertStatement;
            string type = RuleCode.ResultType(f);
            return RuleCode.VerifyAsync(f, $$"""
                    // Impersonation wrappers: the caller acts on the result.
                    private {{type}} ImpersonateForCaller() => {{imp}};

                    private {{type}} ImpersonateForCallerViaLocal()
                    {
                        var hr = {{imp}};
                        return hr;
                    }

                    public void Begin_Field()
                    {
                        _lastResult = {{imp}};
                        try { Work(); } finally { {{revert}} }
                    }

                    public void Begin_OutParameter(out {{type}} hr)
                    {
                        hr = {{imp}};
                        try { Work(); } finally { {{revert}} }
                    }

                    public bool TryBegin(out {{type}} hr)
                    {
                        hr = {{imp}};
                        if (FAILED(hr)) return false;
                        try { Work(); } finally { {{revert}} }
                        return true;
                    }

                    public {{type}} Begin_ReturnedAfterRevert()
                    {
                        var hr = {{imp}};
                        if (FAILED(hr)) return hr;
                        try { Work(); } finally { {{revert}} }
                        return hr;
                    }
                """);
        }

        // -------------------------------------------------------------------------------------------------------
        // Wrappers (SPEC §2 interprocedural, §3 COMIMP004 "direct call or wrapper")
        // -------------------------------------------------------------------------------------------------------

        /// <summary>
        /// A method that impersonates on every path and returns the result is an impersonation wrapper: its callers
        /// must act on the result, and a discarded wrapper result is reported at the call of the wrapper.
        /// </summary>
        [Theory]
        [InlineData("ComImport")]
        [InlineData("DllImport.ApiSet")]
        [InlineData("CsWin32.PInvoke")]
        public Task Discarded_result_of_an_impersonation_wrapper_is_reported_at_the_wrapper_call(string name)
        {
            Flavour f = RuleCode.Get(name);
            return RuleCode.VerifyAsync(f, $$"""
                    private {{RuleCode.ResultType(f)}} ImpersonateCaller() => {{f.Impersonate}};

                    public void Begin_Work()
                    {
                        {|{{Id}}:ImpersonateCaller()|};
                        try { Work(); } finally { {{f.RevertStatement}} }
                    }
                """);
        }
    }
}
