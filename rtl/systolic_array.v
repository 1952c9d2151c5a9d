// Output-stationary N x N systolic array computing C = A x B one N x N tile at a time.
//
// Each cycle the driver presents one k-slice of a tile: column k of A (a_in, row i in bits
// [i*W +: W]) and row k of B (b_in, column j in bits [j*W +: W]), with flags marking the first
// and last slice of the tile. The skew lines below delay row i of A by i cycles and column j
// of B by j cycles, so PE(i,j) sees A[i][k] and B[k][j] together at cycle k+i+j (one cycle
// later with REGISTER_INPUTS). All PEs on one anti-diagonal (same i+j) work on the same slice,
// so the flags travel down a single line of 2N-1 stages instead of through every PE.
//
// The slices of a tile must come in consecutive cycles. Tiles stream back to back: slice 0 of
// the next tile may follow the last slice of the previous one in the very next cycle; between
// tiles, cycles with both flags low may carry any data. Each PE copies its finished sum into
// a result register when the tile's last slice passes it; result_valid pulses in the cycle
// after PE(N-1,N-1) did so, and from then on `result` holds the whole tile (C[i][j] in bits
// [(i*N+j)*AW +: AW]) until PE(0,0) finishes the next tile. Reading every tile therefore needs
// the `last` slices of consecutive tiles at least 2N-1 cycles apart (K >= 2N-1, or idle
// cycles in between).
`default_nettype none

module systolic_array #(
    parameter N  = 4,   // at least 2 (checked below)
    parameter W  = 8,
    parameter AW = 24,
    // 1: register the inputs first (one more cycle of latency). Keeps the simulated model free
    // of combinational paths from its ports; a top that drives the array from registers
    // already (detlab_top) sets 0 and saves the flip-flops.
    parameter REGISTER_INPUTS = 1
) (
    input  wire              clk,
    input  wire              rst,
    input  wire              in_first,
    input  wire              in_last,
    input  wire [N*W-1:0]    a_in,
    input  wire [N*W-1:0]    b_in,
    output wire              result_valid,
    output wire [N*N*AW-1:0] result
);
    // Parameter checks at elaboration (a module that does not exist, named after the rule, so
    // every tool stops with that name): the skew needs two rows, the products 2W bits.
    generate
        if (N < 2) begin : check_n
            detlab_parameter_error_N_must_be_at_least_2 bad_parameter ();
        end
        if (AW < 2 * W) begin : check_aw
            detlab_parameter_error_AW_must_be_at_least_2W bad_parameter ();
        end
    endgenerate

    // Links between PEs are wires inside the generate blocks rather than arrays, so Verilator
    // can see through them instead of copying every one each cycle.
    wire           first_q, last_q;
    wire [N*W-1:0] a_q, b_q;
    reg            result_valid_r;
    assign result_valid = result_valid_r;

    genvar i, j;
    generate
        if (REGISTER_INPUTS) begin : input_stage
            reg           first_r, last_r;
            reg [N*W-1:0] a_r, b_r;
            always @(posedge clk) begin
                first_r <= in_first && !rst;
                last_r  <= in_last && !rst;
                a_r     <= a_in;
                b_r     <= b_in;
            end
            assign {first_q, last_q, a_q, b_q} = {first_r, last_r, a_r, b_r};
        end else begin : direct_inputs
            assign {first_q, last_q, a_q, b_q} = {in_first, in_last, a_in, b_in};
        end

        // Flags of the slice on anti-diagonal d = i+j: first_q and last_q delayed by d cycles.
        wire [2*N-2:0] first_diag, last_diag;
        reg  [2*N-3:0] first_line, last_line;
        always @(posedge clk) begin
            first_line <= rst ? {(2*N-2){1'b0}} : {first_diag[2*N-3:0]};
            last_line  <= rst ? {(2*N-2){1'b0}} : {last_diag[2*N-3:0]};
        end
        assign first_diag = {first_line, first_q};
        assign last_diag  = {last_line, last_q};

        // Row i of A, delayed by i cycles (a shift register of i operands).
        for (i = 0; i < N; i = i + 1) begin : row_skew
            wire [W-1:0] lane_out;
            if (i == 0) begin : direct
                assign lane_out = a_q[W-1:0];
            end else begin : delayed
                reg [W*i-1:0] line;
                if (i == 1) begin : one
                    always @(posedge clk)
                        line <= a_q[i*W +: W];
                end else begin : several
                    always @(posedge clk)
                        line <= {line[W*(i-1)-1:0], a_q[i*W +: W]};
                end
                assign lane_out = line[W*i-1 -: W];
            end
        end

        // Column j of B, delayed by j cycles.
        for (j = 0; j < N; j = j + 1) begin : col_skew
            wire [W-1:0] lane_out;
            if (j == 0) begin : direct
                assign lane_out = b_q[W-1:0];
            end else begin : delayed
                reg [W*j-1:0] line;
                if (j == 1) begin : one
                    always @(posedge clk)
                        line <= b_q[j*W +: W];
                end else begin : several
                    always @(posedge clk)
                        line <= {line[W*(j-1)-1:0], b_q[j*W +: W]};
                end
                assign lane_out = line[W*j-1 -: W];
            end
        end

        for (i = 0; i < N; i = i + 1) begin : row
            for (j = 0; j < N; j = j + 1) begin : col
                wire [W-1:0] a_in_pe, b_in_pe;
                /* verilator lint_off UNUSEDSIGNAL */ // the last row and column feed nothing
                wire [W-1:0] a_out_pe, b_out_pe;
                /* verilator lint_on UNUSEDSIGNAL */
                if (j == 0) begin : left_edge
                    assign a_in_pe = row_skew[i].lane_out;
                end else begin : from_left
                    assign a_in_pe = row[i].col[j-1].a_out_pe;
                end
                if (i == 0) begin : top_edge
                    assign b_in_pe = col_skew[j].lane_out;
                end else begin : from_above
                    assign b_in_pe = row[i-1].col[j].b_out_pe;
                end
                systolic_pe #(.W(W), .AW(AW)) pe (
                    .clk(clk), .a_in(a_in_pe), .b_in(b_in_pe),
                    .first_in(first_diag[i+j]), .last_in(last_diag[i+j]),
                    .a_out(a_out_pe), .b_out(b_out_pe),
                    .result(result[(i*N+j)*AW +: AW])
                );
            end
        end
    endgenerate

    // PE(N-1,N-1) is the last to see a tile's final slice.
    always @(posedge clk)
        result_valid_r <= !rst && last_diag[2*N-2];
endmodule

`default_nettype wire
