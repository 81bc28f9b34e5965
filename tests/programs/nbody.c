/* Single-precision n-body simulation: five bodies (a sun and four planets
   on made-up orbits) integrated with a symplectic Euler step; prints the
   total energy and momentum every few hundred steps. Uses sqrtf and float
   arithmetic only (plus double for the printed sums). Exits 0. */
#include <math.h>
#include <stdio.h>

#define NB 5
#define PI 3.14159265f
#define SOLAR_MASS (4.0f * PI * PI)
#define DAYS 365.24f

struct body { float x, y, z, vx, vy, vz, mass; };

static struct body bodies[NB] = {
    {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, SOLAR_MASS},
    {4.9f, -1.1f, -0.1f, 1.6e-3f * DAYS, 7.7e-3f * DAYS, -6.9e-5f * DAYS, 9.5e-4f * SOLAR_MASS},
    {8.3f, 4.1f, -0.4f, -2.8e-3f * DAYS, 5.0e-3f * DAYS, 2.3e-5f * DAYS, 2.9e-4f * SOLAR_MASS},
    {12.9f, -15.1f, -0.2f, 3.0e-3f * DAYS, 2.4e-3f * DAYS, -3.0e-5f * DAYS, 4.4e-5f * SOLAR_MASS},
    {15.4f, -25.9f, 0.2f, 2.7e-3f * DAYS, 1.6e-3f * DAYS, -9.5e-5f * DAYS, 5.2e-5f * SOLAR_MASS},
};

static void offset_momentum(void)
{
    float px = 0, py = 0, pz = 0;
    for (int i = 0; i < NB; i++) {
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
}

static double energy(void)
{
    double e = 0.0;
    for (int i = 0; i < NB; i++) {
        const struct body *b = &bodies[i];
        e += 0.5 * b->mass * ((double)b->vx * b->vx + (double)b->vy * b->vy + (double)b->vz * b->vz);
        for (int j = i + 1; j < NB; j++) {
            float dx = b->x - bodies[j].x, dy = b->y - bodies[j].y, dz = b->z - bodies[j].z;
            e -= (double)(b->mass * bodies[j].mass) / sqrt((double)(dx * dx + dy * dy + dz * dz));
        }
    }
    return e;
}

static void advance(float dt)
{
    for (int i = 0; i < NB; i++) {
        struct body *b = &bodies[i];
        for (int j = i + 1; j < NB; j++) {
            struct body *c = &bodies[j];
            float dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            float d2 = dx * dx + dy * dy + dz * dz;
            float mag = dt / (d2 * sqrtf(d2));
            b->vx -= dx * c->mass * mag; b->vy -= dy * c->mass * mag; b->vz -= dz * c->mass * mag;
            c->vx += dx * b->mass * mag; c->vy += dy * b->mass * mag; c->vz += dz * b->mass * mag;
        }
    }
    for (int i = 0; i < NB; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

int main(void)
{
    offset_momentum();
    printf("step %5d energy %.9f\n", 0, energy());
    for (int step = 1; step <= 2000; step++) {
        advance(0.01f);
        if (step % 400 == 0)
            printf("step %5d energy %.9f x1=%.6f y1=%.6f vz4=%.6e\n", step, energy(),
                   (double)bodies[1].x, (double)bodies[1].y, (double)bodies[4].vz);
    }
    double px = 0, py = 0;
    for (int i = 0; i < NB; i++) {
        px += (double)(bodies[i].vx * bodies[i].mass);
        py += (double)(bodies[i].vy * bodies[i].mass);
    }
    printf("momentum %.3e %.3e\n", px, py);
    return 0;
}
