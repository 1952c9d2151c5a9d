// Board top for iCE40: the systolic array behind an SPI command interface (docs/accelerator.md
// documents the protocol byte by byte).
//
// The host writes A (N x K) and B (K x N) into two block RAMs, one word of N operands per k,
// starts a run, polls the status byte and reads the N x N result. A run streams the K words
// through the array as one tile; the results are collected into a register bank that stays
// readable until the next run.
//
// Responses outside the normal path (docs/accelerator.md; rtl/tb/protocol_tb.v checks each):
// - spi_miso is released (high impedance, the SB_IO's output enable off) while cs_n is high,
//   so another target can share the line; it is driven from cs_n's fall to its rise.
// - cs_n rising mid-byte drops that byte; a WRITE_A/WRITE_B word left incomplete is not
//   written; the next frame starts afresh (opcode, word 0, C[0][0]).
// - An unknown opcode: the frame's further bytes are ignored and read back as 0x00.
// - RUN with K > KMAX (K-1 >= KMAX): nothing starts and done clears, so the status reads idle
//   and not done (a host polling for done never takes old results for the refused run).
// - RUN while busy is ignored.
// - READ_C while done is clear (before the first run, during a run, after a refused one):
//   every byte after the status is 0x00, never a half-updated C.
`default_nettype none

module detlab_top #(
    parameter N    = 4,
    parameter W    = 8,
    parameter AW   = 24,
    parameter KMAX = 256 // words per operand memory; K is sent as K-1 in one byte
) (
    input  wire clk,
    input  wire spi_sck,
    input  wire spi_cs_n,
    input  wire spi_mosi,
    output wire spi_miso
);
    localparam OP_WRITE_A = 8'h01, OP_WRITE_B = 8'h02, OP_RUN = 8'h03, OP_READ_C = 8'h04;
    localparam CB = (AW + 7) / 8; // bytes per result on the wire
    localparam ADDR_W = $clog2(KMAX); // operand memory address (8 for the default 256)
    localparam NB = N * N * CB;    // result bytes
    localparam PW = $clog2(NB);    // read position width
    /* verilator lint_off WIDTH */
    localparam [7:0] LANE_LAST = N - 1;
    localparam [PW-1:0] POS_LAST = NB - 1;
    /* verilator lint_on WIDTH */

    // Parameter checks at elaboration: a bad value instantiates a module that does not exist,
    // named after the rule, so yosys, Verilator and iverilog all stop with that name.
    // N <= 63: the status byte carries N in 6 bits; KMAX <= 256: K-1 travels in one byte.
    generate
        if (N < 2 || N > 63) begin : check_n
            detlab_parameter_error_N_must_be_2_to_63 bad_parameter ();
        end
        if (AW < 2 * W) begin : check_aw
            detlab_parameter_error_AW_must_be_at_least_2W bad_parameter ();
        end
        if (KMAX < 2 || KMAX > 256) begin : check_kmax
            detlab_parameter_error_KMAX_must_be_2_to_256 bad_parameter ();
        end
    endgenerate

    // Power-on reset: iCE40 flip-flops start at 0 after configuration.
    reg [3:0] por_count = 4'd0;
    wire rst = !por_count[3];
    always @(posedge clk)
        if (rst)
            por_count <= por_count + 4'd1;

    // ---- SPI link and command decoding ----
    wire       frame_start, rx_valid, selected, miso_bit;
    wire [7:0] rx_byte;
    reg  [7:0] tx_next;
    reg        busy, done;
    wire [7:0] status = {busy, done, N[5:0]};

    spi_target link (
        .clk(clk), .rst(rst), .sck(spi_sck), .cs_n(spi_cs_n), .mosi(spi_mosi), .miso(miso_bit), .selected(selected),
        .tx_first(status), .tx_next(tx_next), .frame_start(frame_start), .rx_valid(rx_valid),
        .rx_byte(rx_byte)
    );
    // A tri-state top-level output: yosys makes it a $_TBUF_ that nextpnr packs into the pin's
    // SB_IO with its output enable, so no SB_IO instance ties the RTL to iCE40 simulators.
    assign spi_miso = selected ? miso_bit : 1'bz;

    reg  [7:0]       opcode;
    reg              have_opcode;
    reg  [N*W-1:0]   word;        // operand bytes of one k, first byte in lane 0
    reg  [7:0]       lane_count;  // operand bytes of the current word received so far
    reg  [ADDR_W-1:0] write_addr;
    reg              write_a, write_b;
    reg              start_run;
    reg              refuse_run;  // RUN with K > KMAX: clears done
    reg  [ADDR_W-1:0] run_last;   // K-1 of the requested run
    /* verilator lint_off WIDTH */
    wire             k_fits = rx_byte <= KMAX - 1;
    /* verilator lint_on WIDTH */

    // Result readout: C in row-major order, each result sign-extended to CB bytes, MSB first;
    // read_pos is the next byte to send.
    wire [N*N*AW-1:0] result;
    wire [7:0]        result_bytes [0:NB-1];
    reg  [PW-1:0]     read_pos;
    genvar e, byte_i;
    generate
        for (e = 0; e < N * N; e = e + 1) begin : element
            wire [CB*8-1:0] extended = {{(CB*8-AW){result[e*AW+AW-1]}}, result[e*AW +: AW]};
            for (byte_i = 0; byte_i < CB; byte_i = byte_i + 1) begin : bytes
                assign result_bytes[e*CB + byte_i] = extended[(CB-1-byte_i)*8 +: 8];
            end
        end
    endgenerate
    wire [PW-1:0] next_read_pos = read_pos == POS_LAST ? {PW{1'b0}} : read_pos + 1'b1;
    // C only once a run is done; zeros otherwise (during a run the PEs update diagonal by
    // diagonal, so C would be half old, half new).
    wire [7:0]    read_byte = done ? result_bytes[read_pos] : 8'd0;

    always @(posedge clk) begin
        write_a   <= 1'b0;
        write_b   <= 1'b0;
        start_run <= 1'b0;
        refuse_run <= 1'b0;
        if (rst) begin
            have_opcode <= 1'b0;
            tx_next     <= 8'd0;
        end else if (frame_start) begin
            have_opcode <= 1'b0;
            lane_count  <= 8'd0;
            write_addr  <= {ADDR_W{1'b0}};
            read_pos    <= {PW{1'b0}};
        end else if (rx_valid && !have_opcode) begin
            have_opcode <= 1'b1;
            opcode      <= rx_byte;
            tx_next     <= 8'd0;
            if (rx_byte == OP_READ_C) begin
                tx_next  <= read_byte;
                read_pos <= next_read_pos;
            end
        end else if (rx_valid) begin
            case (opcode)
                OP_WRITE_A, OP_WRITE_B: begin
                    word <= {rx_byte, word[N*W-1:W]};
                    if (lane_count == LANE_LAST) begin
                        lane_count <= 8'd0;
                        write_a    <= opcode == OP_WRITE_A;
                        write_b    <= opcode == OP_WRITE_B;
                    end else begin
                        lane_count <= lane_count + 8'd1;
                    end
                end
                OP_RUN: begin
                    run_last   <= rx_byte[ADDR_W-1:0];
                    start_run  <= !busy && k_fits;
                    refuse_run <= !busy && !k_fits;
                end
                OP_READ_C: begin
                    // The byte after the one the host is clocking now, ready before it starts.
                    tx_next  <= read_byte;
                    read_pos <= next_read_pos;
                end
                default: ;
            endcase
        end
        if (write_a || write_b)
            write_addr <= write_addr + 1'b1;
    end

    // ---- Operand memories (one block RAM word per k) ----
    reg [N*W-1:0]    mem_a [0:KMAX-1];
    reg [N*W-1:0]    mem_b [0:KMAX-1];
    reg [N*W-1:0]    a_word, b_word;
    reg [ADDR_W-1:0] read_addr;

    always @(posedge clk) begin
        if (write_a)
            mem_a[write_addr] <= word;
        if (write_b)
            mem_b[write_addr] <= word;
        a_word <= mem_a[read_addr];
        b_word <= mem_b[read_addr];
    end

    // ---- Run engine: K reads, one slice per cycle, then wait for the array's result ----
    reg  issuing;
    reg  slice_first, slice_last; // registered with the memory read data
    wire result_valid;

    always @(posedge clk) begin
        slice_first <= 1'b0;
        slice_last  <= 1'b0;
        if (rst) begin
            busy    <= 1'b0;
            done    <= 1'b0;
            issuing <= 1'b0;
        end else if (refuse_run) begin
            done <= 1'b0;
        end else if (start_run) begin
            busy      <= 1'b1;
            done      <= 1'b0;
            issuing   <= 1'b1;
            read_addr <= {ADDR_W{1'b0}};
        end else if (issuing) begin
            slice_first <= read_addr == {ADDR_W{1'b0}};
            slice_last  <= read_addr == run_last;
            read_addr   <= read_addr + 1'b1;
            if (read_addr == run_last)
                issuing <= 1'b0;
        end else if (result_valid) begin
            busy <= 1'b0;
            done <= 1'b1;
        end
    end

    systolic_array #(.N(N), .W(W), .AW(AW), .REGISTER_INPUTS(0)) array (
        .clk(clk), .rst(rst), .in_first(slice_first), .in_last(slice_last),
        .a_in(a_word), .b_in(b_word), .result_valid(result_valid), .result(result)
    );
endmodule

`default_nettype wire
