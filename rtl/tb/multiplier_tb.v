// Exhaustive check of rtl/signed_multiplier.v: every pair of W-bit operands, product sign-
// extended to PW bits, against the simulator's own signed multiply. Prints "errors <n>".
//   iverilog -o mtb rtl/tb/multiplier_tb.v rtl/signed_multiplier.v && vvp -n mtb
module multiplier_tb;
    localparam W = 8, PW = 24;
    reg  [W-1:0]  a, b;
    wire [PW-1:0] product;
    integer i, j, errors;

    signed_multiplier #(.W(W), .PW(PW)) dut (.a(a), .b(b), .product(product));

    initial begin
        errors = 0;
        for (i = -(1 << (W - 1)); i < (1 << (W - 1)); i = i + 1)
            for (j = -(1 << (W - 1)); j < (1 << (W - 1)); j = j + 1) begin
                a = i;
                b = j;
                #1;
                if ($signed(product) !== i * j) begin
                    if (errors < 10)
                        $display("mismatch: %0d * %0d gave %0d", i, j, $signed(product));
                    errors = errors + 1;
                end
            end
        $display("errors %0d", errors);
        if (errors != 0)
            $fatal(1, "multiplier_tb: %0d products differ", errors); // exit non-zero
        $finish;
    end
endmodule
