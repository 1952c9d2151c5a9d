// Plays a command script on the board top's SPI pins and writes every byte read back on
// spi_miso to a file. The same bench drives the RTL and the gate-level netlist `icebox_vlog`
// makes from a bitstream (module `chip`, ports named as in the pcf):
//
//   iverilog -DDETLAB_N=2 -o tb rtl/tb/serial_tb.v <rtl/sources.txt files>    (RTL, N=2)
//   iverilog -DDUT=chip -o tb rtl/tb/serial_tb.v chip.v <yosys ice40/cells_sim.v> (netlist)
//   vvp tb +script=job.hex +out=miso.hex [+half=4]
//
// Script: one 16-bit hex word per line, as accel.h's serial::Script writes it:
//   00XX  send byte XX (cs_n falls first if no frame is open)
//   0100  end the frame (cs_n rises)
//   1NNN  wait NNN clk cycles
//   FFFF  end of script
// Output: one line per byte received, two hex digits, in order, from every frame.
// SPI mode 0: sck idles low, mosi is set while sck is low, miso is sampled on the rising edge.
// +half=H holds sck low and high for H clk cycles each (the board top needs H >= 4).
// Errors (bad arguments, unreadable files, a script word it does not know) end with $fatal, so
// vvp exits non-zero and no caller mistakes a broken run for an empty result.
`ifndef DUT
`define DUT detlab_top
`endif

module serial_tb;
    reg clk = 1'b0;
    reg sck = 1'b0, cs_n = 1'b1, mosi = 1'b0;
    wire miso;

    `DUT dut (.clk(clk), .spi_sck(sck), .spi_cs_n(cs_n), .spi_mosi(mosi), .spi_miso(miso));
`ifdef DETLAB_N
    defparam dut.N = `DETLAB_N;
`endif

    always #5 clk = !clk;

    reg [15:0] word;
    reg [1023:0] script_path, out_path;
    integer half, script_file, out_file, bit_i, bytes_out;
    reg [7:0] rx;
    reg in_frame, running;

    task wait_cycles(input integer n);
        integer c;
        for (c = 0; c < n; c = c + 1)
            @(negedge clk);
    endtask

    task send_byte(input [7:0] value);
        begin
            if (!in_frame) begin
                cs_n = 1'b0;
                in_frame = 1'b1;
            end
            for (bit_i = 7; bit_i >= 0; bit_i = bit_i - 1) begin
                mosi = value[bit_i];
                wait_cycles(half);
                sck = 1'b1;
                rx[bit_i] = miso;
                wait_cycles(half);
                sck = 1'b0;
            end
            $fdisplay(out_file, "%02x", rx);
            bytes_out = bytes_out + 1;
        end
    endtask

    task end_frame;
        begin
            wait_cycles(half);
            cs_n = 1'b1;
            in_frame = 1'b0;
            wait_cycles(2 * half);
        end
    endtask

    initial begin
        if (!$value$plusargs("script=%s", script_path) || !$value$plusargs("out=%s", out_path)) begin
            $fatal(1, "serial_tb: usage: vvp tb +script=<hex file> +out=<file> [+half=<cycles>]");
        end
        if (!$value$plusargs("half=%d", half))
            half = 4;
        script_file = $fopen(script_path, "r");
        if (script_file == 0) begin
            $fatal(1, "serial_tb: cannot read %0s", script_path);
        end
        out_file = $fopen(out_path, "w");
        if (out_file == 0) begin
            $fatal(1, "serial_tb: cannot write %0s", out_path);
        end
        in_frame = 1'b0;
        bytes_out = 0;
        wait_cycles(32); // power-on reset of the board top
        running = 1'b1;
        while (running) begin
            if ($fscanf(script_file, "%h", word) != 1)
                word = 16'hFFFF;
            case (word[15:12])
                4'h0: if (word[8]) end_frame; else send_byte(word[7:0]);
                4'h1: wait_cycles(word[11:0]);
                4'hF: if (word == 16'hFFFF) running = 1'b0;
                      else $fatal(1, "serial_tb: unknown script word %04x", word);
                default: $fatal(1, "serial_tb: unknown script word %04x", word);
            endcase
        end
        if (in_frame)
            end_frame;
        $fclose(out_file);
        $fclose(script_file);
        $display("serial_tb: %0d bytes received", bytes_out);
        $finish;
    end
endmodule
